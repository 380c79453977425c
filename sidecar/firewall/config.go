package firewall

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/sidecar/egress"
)

// Config says what the rules refer to. The zero value is not usable; start
// from DefaultConfig.
type Config struct {
	// Mark is the packet mark carried by the sidecar's own sockets (DNS
	// upstream queries); marked traffic is exempt from the rules. Never 0,
	// since "--mark 0" matches every unmarked packet.
	Mark uint32 `json:"mark"`
	// NFLogGroup is the netlink group rejected packets are logged to.
	NFLogGroup uint16 `json:"nflogGroup"`
	// HostGateways are the addresses of the host (host.docker.internal),
	// reachable in every mode and allowed to open connections to the agent.
	HostGateways []netip.Addr `json:"hostGateways"`
	// DNSPort is where the DNS filter listens on 127.0.0.1 and ::1; agent
	// queries to port 53 anywhere are redirected there.
	DNSPort uint16 `json:"dnsPort"`
	// EgressQueue is the name check's NFQUEUE number: in restricted mode
	// the packets of the agent's TCP connections to allowed addresses go
	// there until the check has judged the connection.
	EgressQueue uint16 `json:"egressQueue"`
	// EgressMarks are the conntrack marks of those connections' states.
	EgressMarks egress.Marks `json:"egressMarks"`
	// SetV4 and SetV6 name the ipsets of allowed addresses (restricted mode).
	SetV4 string `json:"setV4"`
	SetV6 string `json:"setV6"`
	// DockerResolver is Docker's embedded resolver, reachable only by
	// marked sockets. The zero Addr leaves it out.
	DockerResolver netip.Addr `json:"dockerResolver"`
	// Upstreams are the DNS filter's resolvers, reachable only by marked
	// sockets too: a query of the filter leaves a conntrack entry behind its
	// closed socket, and an agent sending from the same port would match it
	// as established and talk to the resolver past the filter.
	Upstreams []netip.AddrPort `json:"upstreams,omitempty"`
	// HostAccess and HostPorts say what the agent reaches on the host
	// gateways; empty is shared.HostAll. The policy sets them (SetHost).
	HostAccess shared.HostAccess `json:"hostAccess"`
	HostPorts  []int             `json:"hostPorts,omitempty"`
	// HostClosedPorts are TCP ports of the host closed to the agent in every
	// setting: the daemon's own.
	HostClosedPorts []int `json:"hostClosedPorts,omitempty"`
}

// DefaultConfig returns the values the sidecar runs with unless told otherwise.
func DefaultConfig() Config {
	return Config{
		Mark:           0x5744,
		NFLogGroup:     44,
		DNSPort:        53,
		EgressQueue:    egress.DefaultConfig().Queue,
		EgressMarks:    egress.DefaultConfig().Marks,
		SetV4:          "warden4",
		SetV6:          "warden6",
		DockerResolver: netip.MustParseAddr("127.0.0.11"),
	}
}

// maxSetName is the longest ipset name the kernel accepts (32 bytes with NUL).
const maxSetName = 31

// normalize checks cfg and returns it with addresses in the form the rules
// print them (no zone, IPv4 never in IPv6-mapped form).
func (cfg Config) normalize() (Config, error) {
	if cfg.Mark == 0 {
		return cfg, errors.New("checking firewall config: mark 0 would exempt every unmarked packet; expect a non-zero mark such as 0x5744")
	}
	if cfg.DNSPort == 0 {
		return cfg, errors.New("checking firewall config: DNS port 0; expect the DNS filter's port, such as 53")
	}
	if m := cfg.EgressMarks; m.Mask == 0 || m.Pending == 0 || m.Passed == 0 || m.Refused == 0 {
		return cfg, fmt.Errorf("checking firewall config: egress marks %+v; expect a mask and three non-zero marks under it, such as egress.DefaultConfig's", m)
	}
	for _, name := range []string{cfg.SetV4, cfg.SetV6} {
		if name == "" || len(name) > maxSetName || strings.ContainsAny(name, " \t\n") {
			return cfg, fmt.Errorf("checking firewall config: set name %q; expect 1 to %d characters without spaces", name, maxSetName)
		}
	}
	gws := make([]netip.Addr, 0, len(cfg.HostGateways))
	for _, gw := range cfg.HostGateways {
		if !gw.IsValid() {
			return cfg, errors.New("checking firewall config: a host gateway is not a valid address")
		}
		gws = append(gws, gw.Unmap().WithZone(""))
	}
	cfg.HostGateways = gws
	access, err := shared.ParseHostAccess(string(cfg.HostAccess))
	if err != nil {
		return cfg, fmt.Errorf("checking firewall config: %w", err)
	}
	cfg.HostAccess = access
	if cfg.HostPorts, err = shared.CheckHostPorts(cfg.HostPorts); err != nil {
		return cfg, fmt.Errorf("checking firewall config: %w", err)
	}
	if access != shared.HostPorts {
		cfg.HostPorts = []int{}
	}
	if cfg.HostClosedPorts, err = shared.CheckHostPorts(cfg.HostClosedPorts); err != nil {
		return cfg, fmt.Errorf("checking firewall config: closed %w", err)
	}
	if cfg.DockerResolver.IsValid() {
		cfg.DockerResolver = cfg.DockerResolver.Unmap().WithZone("")
	}
	return cfg, nil
}
