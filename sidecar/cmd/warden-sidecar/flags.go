package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net/netip"
	"os"
	"strings"

	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/sidecar/engine"
)

type options struct {
	cfg         engine.Config
	socket      string
	printConfig bool
	logLevel    slog.Level
	// kube is set by --policy-configmap: the policy comes from the API
	// server instead of the control socket.
	kube *kubeOptions
}

// readPolicyFile reads the policy the host keeps for this sidecar, so a
// restarted sidecar enforces the latest policy rather than its first one.
func readPolicyFile(path string) (shared.Policy, bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return shared.Policy{}, false, nil
	}
	if err != nil {
		return shared.Policy{}, false, fmt.Errorf("reading policy file: %w", err)
	}
	var p shared.Policy
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return shared.Policy{}, false, fmt.Errorf("reading policy file %s: %w; expect {\"mode\": \"restricted\", \"domains\": [\"github.com\"]}", path, err)
	}
	return p, true, nil
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func parseFlags(args []string) (options, error) {
	o := options{cfg: engine.DefaultConfig(), socket: "/run/warden/control.sock"}
	o.cfg.Version = version
	set := flag.NewFlagSet("warden-sidecar", flag.ContinueOnError)
	var upstreams, gateways, domains listFlag
	mode := set.String("mode", string(o.cfg.Initial.Mode), "initial network mode: full, restricted or none")
	set.Var(&domains, "domain", "allowlist entry for the initial policy (repeatable; !name denies a name and every name under it)")
	policyFile := set.String("policy-file", "", "JSON policy {\"mode\",\"domains\"} to enforce at start, read at every start; overrides --mode and --domain when the file exists")
	set.Var(&upstreams, "upstream", "upstream resolver ip:port (repeatable; default: nameservers of --resolv-conf)")
	var closed listFlag
	set.Var(&closed, "host-closed-port", "TCP port of the host closed to the agent whatever the host access (repeatable): the daemon's own")
	set.Var(&gateways, "host-gateway", "address of the host, reachable in every mode (repeatable; default: host.docker.internal in --hosts)")
	resolvConf := set.String("resolv-conf", "/etc/resolv.conf", "where to read upstream resolvers from when --upstream is not given")
	hosts := set.String("hosts", "/etc/hosts", "where to read host.docker.internal from when --host-gateway is not given")
	kubeMode := addKubeFlags(set)
	set.StringVar(&o.socket, "control-socket", o.socket, "path of the control socket (a unix socket; its folder must not be visible to the agent)")
	set.BoolVar(&o.printConfig, "print-config", false, "print the effective configuration as JSON and exit")
	level := set.String("log-level", "info", "log level: debug, info, warn or error")
	mark := set.Uint("mark", uint(o.cfg.Firewall.Mark), "firewall mark on the sidecar's own upstream sockets")
	group := set.Uint("nflog-group", uint(o.cfg.Firewall.NFLogGroup), "NFLOG group for rejected packets")
	set.DurationVar(&o.cfg.Sets.TTLFloor, "ttl-floor", o.cfg.Sets.TTLFloor, "shortest time an allowed address stays in the set")
	set.BoolVar(&o.cfg.DNS.NoFirstContacts, "no-first-contacts", false, "do not report each allowed name's first answer to the audit log (for benchmarks)")
	set.IntVar(&o.cfg.Sets.PerNameCap, "per-name-cap", o.cfg.Sets.PerNameCap, "most addresses one allowlist entry may hold")
	if err := set.Parse(args); err != nil {
		return o, err
	}
	if set.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q; all settings are flags (see -h)", set.Arg(0))
	}
	if err := o.logLevel.UnmarshalText([]byte(*level)); err != nil {
		return o, fmt.Errorf("bad --log-level %q; expect debug, info, warn or error", *level)
	}
	if *mark == 0 || *mark > 0xffffffff {
		return o, fmt.Errorf("bad --mark %d; expect a non-zero 32-bit value", *mark)
	}
	if *group > 0xffff {
		return o, fmt.Errorf("bad --nflog-group %d; expect 0 to 65535", *group)
	}
	o.cfg.Firewall.Mark = uint32(*mark)
	o.cfg.DNS.Mark = uint32(*mark)
	o.cfg.Firewall.NFLogGroup = uint16(*group)

	o.cfg.Initial = shared.Policy{Mode: shared.Mode(*mode), Domains: domains}
	if err := kubeMode(&o, *policyFile != "" || len(domains) > 0 || *mode != string(shared.ModeNone)); err != nil {
		return o, err
	}
	if *policyFile != "" {
		p, found, err := readPolicyFile(*policyFile)
		if err != nil {
			return o, err
		}
		if found {
			o.cfg.Initial = p
		}
	}
	if o.cfg.Initial.Domains == nil {
		o.cfg.Initial.Domains = []string{}
	}
	if _, err := o.cfg.Initial.Validate(); err != nil {
		return o, err
	}

	if len(upstreams) == 0 {
		found, err := engine.UpstreamsFromResolvConf(*resolvConf)
		if err != nil {
			return o, fmt.Errorf("finding upstream resolvers (or pass --upstream): %w", err)
		}
		upstreams = found
	}
	if len(upstreams) == 0 {
		return o, fmt.Errorf("no upstream resolver: %s names none the filter can use; pass --upstream ip:port", *resolvConf)
	}
	for _, u := range upstreams {
		if _, err := netip.ParseAddrPort(u); err != nil {
			return o, fmt.Errorf("bad --upstream %q; expect ip:port such as 192.0.2.53:53 or [2001:db8::53]:53", u)
		}
	}
	o.cfg.DNS.Upstreams = upstreams

	var gws []netip.Addr
	for _, g := range gateways {
		a, err := netip.ParseAddr(g)
		if err != nil {
			return o, fmt.Errorf("bad --host-gateway %q; expect an IP address", g)
		}
		gws = append(gws, a)
	}
	if len(gateways) == 0 {
		found, err := engine.HostGatewaysFromHosts(*hosts)
		if err != nil {
			return o, fmt.Errorf("finding the host gateway (or pass --host-gateway): %w", err)
		}
		gws = found
	}
	o.cfg.Firewall.HostGateways = gws
	for _, c := range closed {
		port, err := shared.ParsePort(c)
		if err != nil {
			return o, fmt.Errorf("bad --host-closed-port: %w", err)
		}
		o.cfg.Firewall.HostClosedPorts = append(o.cfg.Firewall.HostClosedPorts, port)
	}
	o.cfg.DNS.HostGateways = gws
	return o, nil
}
