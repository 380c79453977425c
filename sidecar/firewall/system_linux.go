package firewall

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"time"

	"github.com/coreos/go-iptables/iptables"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// restoreTimeout bounds one iptables-restore run; a healthy one takes
// milliseconds.
const restoreTimeout = 30 * time.Second

// placeholderTimeout is the default timeout of a set the firewall creates
// because the address sets were not set up yet. Every address is added with
// its own timeout, so the value only turns timeout support on.
const placeholderTimeout uint32 = 60

// osSystem runs the iptables tools and talks netlink for ipsets.
type osSystem struct {
	ipt     map[Family]*iptables.IPTables
	bin     map[Family]string
	missing map[Family]error // why a family's tools are not there
}

func newOSSystem() *osSystem {
	s := &osSystem{
		ipt:     map[Family]*iptables.IPTables{},
		bin:     map[Family]string{},
		missing: map[Family]error{},
	}
	for fam, proto := range map[Family]iptables.Protocol{IPv4: iptables.ProtocolIPv4, IPv6: iptables.ProtocolIPv6} {
		ipt, err := iptables.New(iptables.IPFamily(proto), iptables.Timeout(5))
		if err != nil {
			s.missing[fam] = fmt.Errorf("starting %s: %w", toolName(fam), err)
			continue
		}
		bin, err := exec.LookPath(toolName(fam) + "-restore")
		if err != nil {
			s.missing[fam] = fmt.Errorf("finding %s-restore: %w", toolName(fam), err)
			continue
		}
		s.ipt[fam], s.bin[fam] = ipt, bin
	}
	return s
}

func toolName(fam Family) string {
	if fam == IPv6 {
		return "ip6tables"
	}
	return "iptables"
}

func (s *osSystem) restore(fam Family, rules string) error {
	if err := s.missing[fam]; err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), restoreTimeout)
	defer cancel()
	// --wait matters only for the legacy backend, which takes a file lock.
	cmd := exec.CommandContext(ctx, s.bin[fam], "--noflush", "--wait=5")
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("running %s-restore: %w: %s", toolName(fam), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (s *osSystem) listRules(fam Family, table, chain string) ([]string, error) {
	if err := s.missing[fam]; err != nil {
		return nil, err
	}
	return s.ipt[fam].List(table, chain)
}

func (s *osSystem) insertRule(fam Family, table, chain string, pos int, spec ...string) error {
	if err := s.missing[fam]; err != nil {
		return err
	}
	return s.ipt[fam].Insert(table, chain, pos, spec...)
}

func (s *osSystem) deleteRule(fam Family, table, chain string, pos int) error {
	if err := s.missing[fam]; err != nil {
		return err
	}
	return s.ipt[fam].DeleteById(table, chain, pos)
}

func (s *osSystem) ensureSet(name string, fam Family) error {
	family := uint8(unix.AF_INET)
	if fam == IPv6 {
		family = unix.AF_INET6
	}
	timeout := placeholderTimeout
	err := netlink.IpsetCreate(name, "hash:ip", netlink.IpsetCreateOptions{Family: family, Timeout: &timeout})
	if err == nil || errors.Is(err, unix.EEXIST) {
		return nil
	}
	return fmt.Errorf("creating ipset %s: %w", name, err)
}

func (s *osSystem) ipv6Present() (bool, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false, fmt.Errorf("listing interface addresses: %w", err)
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() == nil {
			return true, nil
		}
	}
	return false, nil
}

func (s *osSystem) usable(fam Family) error {
	if err := s.missing[fam]; err != nil {
		return err
	}
	for _, table := range []string{"filter", "nat"} {
		if _, err := s.ipt[fam].List(table, "OUTPUT"); err != nil {
			return fmt.Errorf("listing %s table with %s: %w", table, toolName(fam), err)
		}
	}
	return nil
}
