package egress

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// clientHelloOf returns the bytes a crypto/tls client sends first.
func clientHelloOf(t testing.TB, cfg *tls.Config) []byte {
	t.Helper()
	c, s := net.Pipe()
	go func() {
		_ = tls.Client(c, cfg).Handshake()
		c.Close()
	}()
	var got []byte
	buf := make([]byte, 4096)
	_ = s.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		n, err := s.Read(buf)
		got = append(got, buf[:n]...)
		if _, _, herr := readClientHello(got); !errors.Is(herr, errIncomplete) || err != nil {
			break
		}
	}
	s.Close()
	return got
}

// libraryServerName is what crypto/tls's server reads as the SNI of b, and
// whether it read a ClientHello at all.
func libraryServerName(b []byte) (string, bool) {
	var name string
	var read bool
	stop := errors.New("stop")
	conn := tls.Server(&replayConn{r: bytes.NewReader(b)}, &tls.Config{
		GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			name, read = h.ServerName, true
			return nil, stop
		},
	})
	_ = conn.Handshake()
	return name, read
}

// replayConn plays recorded bytes to a TLS server and swallows its writes.
type replayConn struct {
	net.Conn
	r io.Reader
}

func (c *replayConn) Read(b []byte) (int, error)       { return c.r.Read(b) }
func (c *replayConn) Write(b []byte) (int, error)      { return len(b), nil }
func (c *replayConn) Close() error                     { return nil }
func (c *replayConn) SetDeadline(time.Time) error      { return nil }
func (c *replayConn) SetReadDeadline(time.Time) error  { return nil }
func (c *replayConn) SetWriteDeadline(time.Time) error { return nil }
func (c *replayConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *replayConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }

func helloSeeds(t testing.TB) map[string][]byte {
	return map[string][]byte{
		"sni":         clientHelloOf(t, &tls.Config{ServerName: "a.example.net"}),
		"sni tls12":   clientHelloOf(t, &tls.Config{ServerName: "a.example.net", MaxVersion: tls.VersionTLS12}),
		"no sni":      clientHelloOf(t, &tls.Config{InsecureSkipVerify: true}),
		"long sni":    clientHelloOf(t, &tls.Config{ServerName: "a-very-long-label-of-the-name-that-goes-on-and-on.sub.example.org"}),
		"with alpn":   clientHelloOf(t, &tls.Config{ServerName: "b.example.org", NextProtos: []string{"h2", "http/1.1"}}),
		"idn":         clientHelloOf(t, &tls.Config{ServerName: "xn--bcher-kva.example"}),
		"session tkt": clientHelloOf(t, &tls.Config{ServerName: "a.example.net", ClientSessionCache: tls.NewLRUClientSessionCache(1)}),
	}
}

func TestReadClientHelloAgreesWithCryptoTLS(t *testing.T) {
	for name, b := range helloSeeds(t) {
		t.Run(name, func(t *testing.T) {
			ch, n, err := readClientHello(b)
			require.NoError(t, err)
			require.Equal(t, len(b), n)
			lib, ok := libraryServerName(b)
			require.True(t, ok)
			require.Equal(t, lib, ch.serverName)
			for cut := 0; cut < len(b); cut += 7 {
				_, _, err := readClientHello(b[:cut])
				require.ErrorIs(t, err, errIncomplete, "a ClientHello cut at %d is incomplete, not judged", cut)
			}
		})
	}
	t.Run("split across records", func(t *testing.T) {
		b := helloSeeds(t)["sni"]
		body := b[5:]
		var split []byte
		for _, part := range [][]byte{body[:10], body[10:]} {
			split = append(split, 0x16, 3, 1, byte(len(part)>>8), byte(len(part)))
			split = append(split, part...)
		}
		ch, n, err := readClientHello(split)
		require.NoError(t, err)
		require.Equal(t, len(split), n)
		require.Equal(t, "a.example.net", ch.serverName)
		lib, _ := libraryServerName(split)
		require.Equal(t, lib, ch.serverName)
	})
	t.Run("refused", func(t *testing.T) {
		for name, b := range map[string][]byte{
			"not handshake": {0x17, 3, 3, 0, 1, 0},
			"not hello":     {0x16, 3, 3, 0, 4, 2, 0, 0, 0},
			"bad version":   {0x16, 2, 0, 0, 4, 1, 0, 0, 0},
			"empty record":  {0x16, 3, 3, 0, 0},
		} {
			_, _, err := readClientHello(b)
			require.Error(t, err, name)
			require.NotErrorIs(t, err, errIncomplete, name)
		}
	})
}

// FuzzClientHello holds the hand-written reader to crypto/tls's: whatever
// both read, they read the same name, and every ClientHello the library reads
// with a name, ours reads too.
// Its seeds (testdata) are ClientHellos of crypto/tls clients, as helloSeeds makes.
func FuzzClientHello(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		ch, _, err := readClientHello(b)
		lib, ok := libraryServerName(b)
		if err == nil && ok {
			require.Equal(t, lib, ch.serverName)
		}
		if ok && lib != "" && !errors.Is(err, errIncomplete) {
			require.NoError(t, err, "the library reads %q", lib)
			require.Equal(t, lib, ch.serverName)
		}
	})
}
