package kube

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/test/fakeinet"
)

// soloAddr is a second address of the fake internet, on the pod bridge
// outside the range its IPAM hands out (198.18.0.10-200): solo.test alone
// resolves to it, so removing that one name takes the address out of the
// sidecar's set, while every other .test name shares the gateway's address.
const (
	soloAddr   = "198.18.0.2"
	podBridge  = "wkube0"
	namesTLS   = "443"  // on the gateway: TLS that records each ClientHello's SNI
	namesPlain = "8080" // on the gateway: HTTP that records each request's Host
)

func init() { testZone["solo.test."] = []string{soloAddr} }

// TestMain takes soloAddr off the bridge again when the suite added it.
func TestMain(m *testing.M) {
	code := m.Run()
	if addedSolo {
		if out, err := exec.Command("ip", "addr", "del", soloAddr+"/32", "dev", podBridge).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "removing %s from %s: %v: %s\n", soloAddr, podBridge, err, out)
		}
	}
	os.Exit(code)
}

// nameLog is what the name servers on the gateway heard.
type nameLog struct {
	mu     sync.Mutex
	hellos []string // SNI of every ClientHello on namesTLS
	hosts  []string // Host of every request on namesTLS and namesPlain
}

func (l *nameLog) heard() (hellos, hosts []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.hellos...), append([]string(nil), l.hosts...)
}

var (
	extras    sync.Once
	extrasErr string
	addedSolo bool
	theNames  *nameLog
)

// getExtras starts, once, what some tests need beyond getCluster: the echo
// servers on soloAddr and the name-recording servers on the gateway.
func getExtras(t *testing.T) *nameLog {
	t.Helper()
	getCluster(t)
	extras.Do(func() {
		out, err := exec.Command("ip", "-o", "addr", "show", "dev", podBridge).CombinedOutput()
		if err != nil {
			extrasErr = fmt.Sprintf("reading the pod bridge %s (is the cluster up?): %v: %s", podBridge, err, out)
			return
		}
		if !strings.Contains(string(out), " "+soloAddr+"/") {
			if out, err := exec.Command("ip", "addr", "add", soloAddr+"/32", "dev", podBridge).CombinedOutput(); err != nil {
				extrasErr = fmt.Sprintf("adding %s to %s (needs root): %v: %s", soloAddr, podBridge, err, out)
				return
			}
			addedSolo = true
		}
		if _, err := fakeinet.ServeEcho(soloAddr); err != nil {
			extrasErr = "serving the fake internet on " + soloAddr + ": " + err.Error()
			return
		}
		l, err := serveNameLog()
		if err != nil {
			extrasErr = err.Error()
			return
		}
		theNames = l
	})
	if theNames == nil {
		t.Fatal(extrasErr)
	}
	return theNames
}

func serveNameLog() (*nameLog, error) {
	ca, err := fakeinet.NewCA()
	if err != nil {
		return nil, err
	}
	cert, err := ca.Issue("allowed.test", "other.test", "added.test")
	if err != nil {
		return nil, err
	}
	l := &nameLog{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.hosts = append(l.hosts, r.Host)
		l.mu.Unlock()
		fmt.Fprintf(w, "hello %s\n", r.Host)
	})
	for _, s := range []struct {
		port string
		tls  *tls.Config
	}{
		{namesPlain, nil},
		{namesTLS, &tls.Config{Certificates: []tls.Certificate{cert}, GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			l.mu.Lock()
			l.hellos = append(l.hellos, h.ServerName)
			l.mu.Unlock()
			return nil, nil
		}}},
	} {
		ln, err := net.Listen("tcp", net.JoinHostPort(podGateway, s.port))
		if err != nil {
			return nil, fmt.Errorf("listening on %s:%s: %w", podGateway, s.port, err)
		}
		if s.tls != nil {
			ln = tls.NewListener(ln, s.tls)
		}
		// A refused connection ends in a handshake timeout here: not news.
		quiet := log.New(io.Discard, "", 0)
		go func() { _ = (&http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: quiet}).Serve(ln) }()
	}
	return l, nil
}

// putResult makes p the project's policy and returns the sidecar's report.
func (e *env) putResult(t *testing.T, id string, p shared.Policy) shared.ApplyResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := e.rt.PutPolicy(ctx, e.rt.SocketPath(id), p)
	if err != nil {
		t.Fatalf("putting policy %+v: %v\n%s", p, err, e.sidecarLog(id))
	}
	if res.Error != "" {
		t.Fatalf("the sidecar refused policy %+v: %s", p, res.Error)
	}
	return res
}

// execSh runs a shell script in a container of the project's pod and
// returns its combined output and whether it exited 0.
func (e *env) execSh(t *testing.T, id, container, script string) (string, bool) {
	t.Helper()
	cmd := exec.Command(kubectl, "--kubeconfig", kubeconfig, "-n", e.ns, "exec", "warden-"+id, "-c", container, "--", "sh", "-c", script)
	out, err := cmd.CombinedOutput()
	if _, exit := err.(*exec.ExitError); err != nil && !exit {
		t.Fatalf("kubectl exec %q: %v", script, err)
	}
	return strings.TrimSpace(string(out)), err == nil
}

// background starts a command in a container of the project's pod through
// kubectl exec and returns a channel that yields its standard output when
// it ends.
func (e *env) background(t *testing.T, id, container string, args ...string) <-chan string {
	t.Helper()
	cmd := exec.Command(kubectl, append([]string{"--kubeconfig", kubeconfig, "-n", e.ns, "exec", "warden-" + id, "-c", container, "--"}, args...)...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan string, 1)
	go func() {
		err := cmd.Wait()
		if err != nil {
			done <- stdout.String() + "\n" + err.Error() + ": " + stderr.String()
			return
		}
		done <- stdout.String()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return done
}
