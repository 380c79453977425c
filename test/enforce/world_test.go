package enforce

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/sidecar/control"
	"github.com/warden-sh/warden/test/fakeinet"
	"github.com/warden-sh/warden/test/nstest"
)

// World is one agent namespace guarded by a real sidecar process, wired to a
// fake internet namespace.
type World struct {
	t         *testing.T
	Agent     *nstest.NS
	Inet      *nstest.NS
	Upstream  *fakeinet.DNS   // the sidecar's upstream resolver
	DockerDNS *fakeinet.DNS   // stands in for Docker's 127.0.0.11
	CDN       *fakeinet.Names // every cdn-* name (and exfil.attacker.test) on cdn4 and cdn6
	CA        *fakeinet.CA    // signed the CDN's certificate
	Sidecar   *Sidecar
	Control   *control.Client
}

// newWorld builds the namespaces and servers and starts the sidecar with the
// given initial policy.
func newWorld(t *testing.T, mode shared.Mode, domains ...string) *World {
	t.Helper()
	w := &World{t: t, Agent: nstest.New(t, "wagent"), Inet: nstest.New(t, "winet")}
	w.link()
	up := stopAtEnd(t)
	w.Upstream = &fakeinet.DNS{Zone: zone, TTLs: zoneTTLs}
	ca, err := fakeinet.NewCA()
	require.NoError(t, err)
	cert, err := ca.Issue("cdn-a.example.net", "cdn-b.example.org", "exfil.attacker.test")
	require.NoError(t, err)
	w.CA = ca
	require.NoError(t, w.Inet.Do(func() error {
		for _, a := range append(serviceAddrs(), gw4, gw6) {
			if a == cdn4 || a == cdn6 {
				continue
			}
			if err := up(fakeinet.ServeEcho(a)); err != nil {
				return err
			}
		}
		cdn, stop, err := fakeinet.ServeNames(cert, cdn4, cdn6)
		if err != nil {
			return err
		}
		t.Cleanup(stop)
		w.CDN = cdn
		if err := up(fakeinet.ServeDNS(net.JoinHostPort(dns4, "53"), w.Upstream)); err != nil {
			return err
		}
		return up(fakeinet.ServeDNS(net.JoinHostPort(dns6, "53"), w.Upstream))
	}))
	w.DockerDNS = &fakeinet.DNS{Fixed: dockerResolverAnswer}
	require.NoError(t, w.Agent.Do(func() error {
		if err := up(fakeinet.ServeDNS("127.0.0.11:53", w.DockerDNS)); err != nil {
			return err
		}
		return up(fakeinet.ServeDNS("127.0.0.11:5353", w.DockerDNS))
	}))
	dir := t.TempDir()
	w.Sidecar = &Sidecar{t: t, ns: w.Agent, socket: filepath.Join(dir, "ctl", "control.sock"), logPath: filepath.Join(dir, "sidecar.log"), mode: mode, domains: domains}
	w.Control = control.NewClient(w.Sidecar.socket)
	w.Sidecar.Start()
	return w
}

// stopAtEnd returns a function that registers a started server's stop
// function with the test.
func stopAtEnd(t *testing.T) func(stop func(), err error) error {
	return func(stop func(), err error) error {
		if err != nil {
			return err
		}
		t.Cleanup(stop)
		return nil
	}
}

// link joins the namespaces with a veth pair and puts every service address
// on a spare interface in the internet namespace.
func (w *World) link() {
	t := w.t
	peer := "wa" + w.Agent.Name[len(w.Agent.Name)-6:]
	w.Inet.MustExec(t, "ip", "link", "add", "wi0", "type", "veth", "peer", "name", peer)
	w.Inet.MustExec(t, "ip", "link", "set", peer, "netns", w.Agent.Name)
	w.Agent.MustExec(t, "ip", "link", "set", peer, "name", "eth0")
	w.Inet.MustExec(t, "ip", "addr", "add", gw4+"/24", "dev", "wi0")
	w.Inet.MustExec(t, "ip", "addr", "add", gw6+"/64", "dev", "wi0", "nodad")
	w.Inet.MustExec(t, "ip", "link", "set", "wi0", "up")
	w.Agent.MustExec(t, "ip", "addr", "add", agent4+"/24", "dev", "eth0")
	w.Agent.MustExec(t, "ip", "addr", "add", agent6+"/64", "dev", "eth0", "nodad")
	w.Agent.MustExec(t, "ip", "link", "set", "eth0", "up")
	w.Agent.MustExec(t, "ip", "route", "add", "default", "via", gw4)
	w.Agent.MustExec(t, "ip", "-6", "route", "add", "default", "via", gw6)
	// The kernel here has no dummy links; an unused veth pair holds the
	// service addresses just as well.
	w.Inet.MustExec(t, "ip", "link", "add", "svc0", "type", "veth", "peer", "name", "svc1")
	w.Inet.MustExec(t, "ip", "link", "set", "svc0", "up")
	w.Inet.MustExec(t, "ip", "link", "set", "svc1", "up")
	for _, a := range serviceAddrs() {
		plen := "/32"
		if strings.Contains(a, ":") {
			plen = "/128"
		}
		w.Inet.MustExec(t, "ip", "addr", "add", a+plen, "dev", "svc0", "nodad")
	}
}

// SetPolicy pushes a policy through the control socket and fails the test if
// the sidecar refuses it.
func (w *World) SetPolicy(mode shared.Mode, domains ...string) shared.ApplyResult {
	w.t.Helper()
	if domains == nil {
		domains = []string{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := w.Control.PutPolicy(ctx, shared.Policy{Mode: mode, Domains: domains})
	require.NoError(w.t, err)
	return res
}

// Sidecar is the warden-sidecar process running in the agent namespace.
type Sidecar struct {
	t       *testing.T
	ns      *nstest.NS
	socket  string
	logPath string
	mode    shared.Mode
	domains []string
	cmd     *exec.Cmd
}

// Start runs the sidecar and waits until it reports ready.
func (s *Sidecar) Start() {
	t := s.t
	t.Helper()
	args := []string{sidecarBin,
		"--control-socket", s.socket,
		"--upstream", net.JoinHostPort(dns4, "53"),
		"--host-gateway", gw4, "--host-gateway", gw6,
		// As the daemon starts it: its own port closed to the agent.
		"--host-closed-port", strconv.Itoa(daemonPort),
		"--mode", string(s.mode), "--log-level", "debug",
		"--ttl-floor", "60s",
	}
	for _, d := range s.domains {
		args = append(args, "--domain", d)
	}
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	require.NoError(t, err)
	s.cmd = s.ns.Command(args...)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	require.NoError(t, s.cmd.Start())
	logf.Close()
	cmd := s.cmd
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_ = cmd.Wait()
		}
		if t.Failed() {
			if b, err := os.ReadFile(s.logPath); err == nil {
				t.Logf("sidecar log:\n%s", b)
			}
		}
	})
	s.waitReady()
}

func (s *Sidecar) waitReady() {
	t := s.t
	t.Helper()
	c := control.NewClient(s.socket)
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		st, err := c.Status(ctx)
		cancel()
		if err == nil && st.Ready {
			return
		}
		if s.cmd.ProcessState != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	b, _ := os.ReadFile(s.logPath)
	t.Fatalf("sidecar did not become ready; log:\n%s", b)
}

// Kill stops the sidecar with SIGKILL, as a crash would.
func (s *Sidecar) Kill() {
	s.t.Helper()
	// ip netns exec replaces itself with the sidecar, so this is its pid.
	require.NoError(s.t, s.cmd.Process.Kill())
	_ = s.cmd.Wait()
}
