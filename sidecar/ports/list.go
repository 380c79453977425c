package ports

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/warden-sh/warden/shared"
)

// Lister lists the listening TCP ports of the namespace it runs in.
type Lister struct {
	// Proc is where procfs is mounted. Default /proc.
	Proc string
	// Hide are addresses whose listeners are not the agent's: Docker's
	// embedded resolver (127.0.0.11), which the engine runs in the
	// namespace on a random port.
	Hide []netip.Addr
}

// Listening returns the namespace's listening TCP ports, sorted by port,
// leaving out the sockets of the reading process itself (the sidecar's DNS
// filter) and those on Hide addresses. A missing tcp6 table (IPv6 disabled)
// is not an error.
func (l Lister) Listening() ([]shared.ListeningPort, error) {
	proc := l.Proc
	if proc == "" {
		proc = "/proc"
	}
	var all []socket
	for _, t := range []struct {
		name string
		v6   bool
	}{{"tcp", false}, {"tcp6", true}} {
		path := filepath.Join(proc, "net", t.name)
		f, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) && t.v6 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("listing listening ports: %w", err)
		}
		socks, err := parseTable(f, t.v6)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("listing listening ports from %s: %w", path, err)
		}
		all = append(all, socks...)
	}
	own, err := ownSockets(filepath.Join(proc, "self", "fd"))
	if err != nil {
		return nil, err
	}
	shown := all[:0]
	for _, s := range all {
		if !slices.Contains(l.Hide, s.addr) {
			shown = append(shown, s)
		}
	}
	return group(shown, own), nil
}

// ownSockets returns the inodes of the sockets the reading process holds.
func ownSockets(fdDir string) (map[uint64]bool, error) {
	entries, err := os.ReadDir(fdDir)
	if err != nil {
		return nil, fmt.Errorf("listing own sockets in %s: %w", fdDir, err)
	}
	own := make(map[uint64]bool)
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join(fdDir, e.Name()))
		if err != nil {
			continue // closed meanwhile
		}
		if inode, ok := socketInode(target); ok {
			own[inode] = true
		}
	}
	return own, nil
}

// socketInode reads "socket:[12345]".
func socketInode(link string) (uint64, bool) {
	s, ok := strings.CutPrefix(link, "socket:[")
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, "]")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// group merges sockets into one entry per port, leaving out those in own.
func group(socks []socket, own map[uint64]bool) []shared.ListeningPort {
	byPort := make(map[int][]string)
	loopback := make(map[int]bool)
	for _, s := range socks {
		if own[s.inode] {
			continue
		}
		a := s.addr.String()
		if _, seen := byPort[s.port]; !seen {
			loopback[s.port] = true
		}
		if !slices.Contains(byPort[s.port], a) {
			byPort[s.port] = append(byPort[s.port], a)
		}
		loopback[s.port] = loopback[s.port] && s.addr.IsLoopback()
	}
	out := make([]shared.ListeningPort, 0, len(byPort))
	for port, addrs := range byPort {
		slices.Sort(addrs)
		out = append(out, shared.ListeningPort{Port: port, Addresses: addrs, LoopbackOnly: loopback[port]})
	}
	slices.SortFunc(out, func(a, b shared.ListeningPort) int { return a.Port - b.Port })
	return out
}
