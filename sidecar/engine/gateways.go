package engine

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"strings"
)

// HostGatewaysFromHosts reads the addresses a hosts file gives for
// host.docker.internal (Docker writes them from --add-host host-gateway).
func HostGatewaysFromHosts(path string) ([]netip.Addr, error) {
	return namesFromFile(path, func(fields []string) []string {
		for _, name := range fields[1:] {
			if strings.EqualFold(name, "host.docker.internal") {
				return fields[:1]
			}
		}
		return nil
	})
}

// UpstreamsFromResolvConf reads the nameserver lines of a resolv.conf as
// ip:53 addresses, leaving out the loopback addresses the filter itself
// listens on so the filter never forwards to itself.
func UpstreamsFromResolvConf(path string) ([]string, error) {
	addrs, err := namesFromFile(path, func(fields []string) []string {
		if fields[0] == "nameserver" && len(fields) > 1 {
			return fields[1:2]
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, a := range addrs {
		if a.IsLoopback() && a != netip.MustParseAddr("127.0.0.11") {
			continue
		}
		out = append(out, netip.AddrPortFrom(a, 53).String())
	}
	return out, nil
}

func namesFromFile(path string, pick func(fields []string) []string) ([]netip.Addr, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	var out []netip.Addr
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		for _, s := range pick(fields) {
			s, _, _ = strings.Cut(s, "%") // zone suffix
			if a, err := netip.ParseAddr(s); err == nil {
				out = append(out, a.Unmap())
			}
		}
	}
	return out, sc.Err()
}
