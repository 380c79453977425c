package ports

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// stateListen is TCP_LISTEN as /proc/net/tcp prints it.
const stateListen = "0A"

// maxLines bounds how much of a table is read; a namespace with more
// sockets than this is not one a person is developing in.
const maxLines = 1 << 20

// socket is one listening socket of a /proc/net/tcp{,6} table.
type socket struct {
	addr  netip.Addr
	port  int
	inode uint64
}

// parseTable reads a /proc/net/tcp (v6 false) or /proc/net/tcp6 table and
// returns its listening sockets. The first line is the header.
func parseTable(r io.Reader, v6 bool) ([]socket, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 512), 4096)
	var out []socket
	for n := 0; sc.Scan(); n++ {
		if n == 0 {
			continue // header
		}
		if n > maxLines {
			return out, fmt.Errorf("table has more than %d lines", maxLines)
		}
		f := strings.Fields(sc.Text())
		// sl local rem st queues tr retrnsmt uid timeout inode ...
		if len(f) < 10 {
			return nil, fmt.Errorf("line %d %q: %d fields; expect at least 10", n+1, sc.Text(), len(f))
		}
		if f[3] != stateListen {
			continue
		}
		addr, port, err := parseEndpoint(f[1], v6)
		if err != nil {
			return nil, fmt.Errorf("line %d: local address %q: %w", n+1, f[1], err)
		}
		inode, err := strconv.ParseUint(f[9], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: inode %q is not a number", n+1, f[9])
		}
		out = append(out, socket{addr: addr, port: port, inode: inode})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading table: %w", err)
	}
	return out, nil
}

// parseEndpoint decodes "0100007F:1F90": the address as the kernel's
// 32-bit words in host byte order, then the port in hex.
func parseEndpoint(s string, v6 bool) (netip.Addr, int, error) {
	hexAddr, hexPort, ok := strings.Cut(s, ":")
	want := 8
	if v6 {
		want = 32
	}
	if !ok || len(hexAddr) != want || len(hexPort) != 4 {
		return netip.Addr{}, 0, fmt.Errorf("expect %d hex digits, a colon and 4 hex digits", want)
	}
	raw, err := hex.DecodeString(hexAddr)
	if err != nil {
		return netip.Addr{}, 0, fmt.Errorf("address is not hex")
	}
	port, err := strconv.ParseUint(hexPort, 16, 16)
	if err != nil {
		return netip.Addr{}, 0, fmt.Errorf("port is not hex")
	}
	// Each 32-bit word was printed as a number in host order; turning it
	// back into memory order gives the address's network-order bytes.
	b := make([]byte, len(raw))
	for i := 0; i < len(raw); i += 4 {
		binary.NativeEndian.PutUint32(b[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	addr, _ := netip.AddrFromSlice(b)
	return addr.Unmap(), int(port), nil
}
