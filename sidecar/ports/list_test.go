package ports

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMain lets the test binary play the other process that listens.
func TestMain(m *testing.M) {
	if addr := os.Getenv("PORTS_TEST_LISTEN"); addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println(ln.Addr().(*net.TCPAddr).Port)
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until the test is done
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// listenElsewhere starts a child process listening on addr and returns its
// port.
func listenElsewhere(t *testing.T, addr string) int {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "PORTS_TEST_LISTEN="+addr)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	port, err := strconv.Atoi(strings.TrimSpace(line))
	require.NoError(t, err, "child said %q", line)
	return port
}

func TestListeningSeesOthersButNotItself(t *testing.T) {
	own, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer own.Close()
	ownPort := own.Addr().(*net.TCPAddr).Port
	loop := listenElsewhere(t, "127.0.0.1:0")
	any := listenElsewhere(t, "0.0.0.0:0")

	got, err := Lister{}.Listening()
	require.NoError(t, err)
	byPort := map[int]bool{}
	for _, p := range got {
		byPort[p.Port] = true
		switch p.Port {
		case loop:
			require.Equal(t, []string{"127.0.0.1"}, p.Addresses)
			require.True(t, p.LoopbackOnly)
		case any:
			require.Len(t, p.Addresses, 1)
			require.Contains(t, []string{"0.0.0.0", "::"}, p.Addresses[0], "Go listens dual-stack on ::")
			require.False(t, p.LoopbackOnly)
		}
	}
	require.True(t, byPort[loop], "a loopback listener of another process")
	require.True(t, byPort[any], "a wildcard listener of another process")
	require.False(t, byPort[ownPort], "the reading process's own socket")
}

func TestListeningNeedsProc(t *testing.T) {
	_, err := Lister{Proc: t.TempDir()}.Listening()
	require.ErrorContains(t, err, "net/tcp")
}

func TestListeningHides(t *testing.T) {
	port := listenElsewhere(t, "127.0.0.1:0")
	got, err := Lister{Hide: []netip.Addr{netip.MustParseAddr("127.0.0.1")}}.Listening()
	require.NoError(t, err)
	for _, p := range got {
		require.NotEqual(t, port, p.Port, "a listener on a hidden address")
	}
}
