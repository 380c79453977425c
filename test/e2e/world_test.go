package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/test/gobuild"
)

// prefixes are the /24 documentation networks a world may take; each world
// takes the first one no other world (another test run) holds.
var prefixes = []string{"203.0.113.", "198.51.100.", "192.0.2."}

// The images `make images` builds, tagged WARDEN_IMAGE_TAG ("latest" when
// unset), so runs of different trees can keep their own.
var (
	agentImage = "warden-agent-test:" + imageTag()
	sidecarImg = "warden-sidecar:" + imageTag()
	hostImage  = "warden-host:" + imageTag()
)

func imageTag() string {
	if tag := os.Getenv("WARDEN_IMAGE_TAG"); tag != "" {
		return tag
	}
	return "latest"
}

const (
	labelSuite  = "warden.e2e"
	readyWithin = 60 * time.Second
)

// zoneHosts gives every name its own address (the last byte in the world's
// network), so reaching an address proves which name's rule let it through.
var zoneHosts = map[string]int{
	"github.com.":           11,
	"api.github.com.":       12,
	"api.anthropic.com.":    13,
	"registry.npmjs.org.":   14,
	"blocked.example.":      15,
	"other.example.org.":    16,
	"shared-a.example.net.": 17,
	"shared-b.example.org.": 17,
	"gist.github.com.":      18,
}

// fakeinetHost is the fake internet's own address in the world's network.
const fakeinetHost = 10

// Binaries built once for the package.
var bins struct{ warden, fakeinet, aider, fakeplugin string }

func TestMain(m *testing.M) {
	gobuild.Main(func(bin map[string]string) int {
		bins.warden, bins.fakeinet = bin["warden"], bin["fakeinet"]
		bins.aider, bins.fakeplugin = bin["warden-agent-aider"], bin["fakeplugin"]
		return m.Run()
	}, map[string]string{
		"warden":             "../../host/cmd/warden",
		"fakeinet":           "../fakeinet/cmd/fakeinet",
		"warden-agent-aider": "../../host/plugins/examples/aider",
		"fakeplugin":         "../../host/plugins/internal/fakeplugin",
	})
}

// world is one daemon with its data folder, Docker network and fake internet.
type world struct {
	t       testing.TB
	name    string
	network string
	prefix  string // the world's /24, such as "203.0.113."
	data    string
	addr    string
	daemon  *exec.Cmd
	logPath string
	hostURL string // what the agent reaches as host.docker.internal
	hostIP  string
	// daemonArgs are added to `warden serve`'s flags.
	daemonArgs []string
	// inContainer runs the daemon from the host image (Dockerfile.host)
	// with the data folder and workRoot mounted at their own paths.
	inContainer bool
	workRoot    string
}

func newWorld(t testing.TB, daemonArgs ...string) *world {
	t.Helper()
	return startWorld(t, &world{daemonArgs: daemonArgs})
}

// newWorldInContainer is newWorld with the daemon run from the host image,
// as the README's run line does; workspaces go under w.workRoot.
func newWorldInContainer(t testing.TB) *world {
	t.Helper()
	if err := exec.Command("docker", "image", "inspect", hostImage).Run(); err != nil {
		t.Fatalf("this test needs the image %s; build it with `make images`", hostImage)
	}
	return startWorld(t, &world{inContainer: true, workRoot: t.TempDir()})
}

func startWorld(t testing.TB, w *world) *world {
	t.Helper()
	requireDocker(t)
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	w.t, w.name, w.data = t, "warden-e2e-"+hex.EncodeToString(b), t.TempDir()
	w.network = w.name
	t.Cleanup(func() { w.cleanupDocker() })
	w.createNetwork()
	w.startFakeinet()
	w.startHostServer()
	w.addr = freeAddr(t)
	w.logPath = filepath.Join(w.data, "daemon.log")
	w.startDaemon()
	return w
}

// createNetwork takes the first free documentation /24; dynamic addresses
// come from its upper half, so the fake internet's fixed ones never clash.
// When every /24 is taken (other test runs on the machine hold them), it
// waits up to networkWait for one to be freed.
func (w *world) createNetwork() {
	deadline := time.Now().Add(networkWait)
	for {
		var errs []string
		for _, p := range prefixes {
			out, err := exec.Command("docker", "network", "create", "--driver", "bridge",
				"--subnet", p+"0/24", "--ip-range", p+"128/25", "--gateway", p+"1",
				"--label", labelSuite+"=1", w.network).CombinedOutput()
			if err == nil {
				w.prefix = p
				return
			}
			errs = append(errs, strings.TrimSpace(string(out)))
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("creating the test network: every documentation /24 is taken (waited %s): %s", networkWait, strings.Join(errs, "; "))
		}
		time.Sleep(time.Second)
	}
}

// networkWait bounds the wait for a free documentation /24.
const networkWait = 10 * time.Minute

// ip is an address in the world's network by its last byte.
func (w *world) ip(host int) string { return fmt.Sprintf("%s%d", w.prefix, host) }

// addr is ip:port.
func (w *world) addrOf(host, port int) string { return fmt.Sprintf("%s%d:%d", w.prefix, host, port) }

func requireDocker(t testing.TB) {
	t.Helper()
	out, err := exec.Command("docker", "version", "--format", "{{.Server.Version}}").CombinedOutput()
	if err != nil {
		t.Fatalf("this test needs the Docker engine: %v: %s", err, out)
	}
	for _, img := range []string{agentImage, sidecarImg} {
		if err := exec.Command("docker", "image", "inspect", img).Run(); err != nil {
			t.Fatalf("this test needs the image %s; build it with `make images`", img)
		}
	}
}

func (w *world) docker(args ...string) string {
	w.t.Helper()
	out, err := exec.Command("docker", args...).CombinedOutput()
	require.NoError(w.t, err, "docker %s: %s", strings.Join(args, " "), out)
	return strings.TrimSpace(string(out))
}

func (w *world) startFakeinet() {
	zone := map[string][]string{}
	for name, host := range zoneHosts {
		zone[name] = []string{w.ip(host)}
	}
	zonePath := filepath.Join(w.data, "zone.json")
	b, err := json.Marshal(zone)
	require.NoError(w.t, err)
	require.NoError(w.t, os.WriteFile(zonePath, b, 0o644))
	var script strings.Builder
	seen := map[string]bool{}
	for _, addrs := range zone {
		for _, a := range addrs {
			if !seen[a] {
				seen[a] = true
				fmt.Fprintf(&script, "ip addr add %s/24 dev eth0 && ", a)
			}
		}
	}
	script.WriteString("exec /fakeinet --zone /zone.json")
	w.docker("run", "-d", "--name", w.name+"-fakeinet", "--label", labelSuite+"=1",
		"--network", w.network, "--ip", w.ip(fakeinetHost), "--cap-add", "NET_ADMIN", "--user", "root",
		"-v", bins.fakeinet+":/fakeinet:ro", "-v", zonePath+":/zone.json:ro",
		"--entrypoint", "sh", agentImage, "-c", script.String())
	require.Eventually(w.t, func() bool {
		out, _ := exec.Command("docker", "logs", w.name+"-fakeinet").CombinedOutput()
		return strings.Contains(string(out), "fakeinet:")
	}, 20*time.Second, 100*time.Millisecond, "fake internet did not start")
}

// startHostServer runs an HTTP server on the host that the agent reaches as
// host.docker.internal.
func (w *world) startHostServer() {
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	require.NoError(w.t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(rw, "hello from the host")
	})}
	go func() { _ = srv.Serve(ln) }()
	w.t.Cleanup(func() { srv.Close() })
	port := ln.Addr().(*net.TCPAddr).Port
	w.hostURL = fmt.Sprintf("http://host.docker.internal:%d/", port)
}

func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

func (w *world) startDaemon() {
	t := w.t
	logf, err := os.OpenFile(w.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	require.NoError(t, err)
	args := []string{"--data", w.data, "serve", "--listen", w.addr,
		"--network", w.network, "--upstream", w.addrOf(fakeinetHost, 53), "--log-level", "debug",
		"--sidecar-image", sidecarImg}
	cmd := exec.Command(bins.warden, append(args, w.daemonArgs...)...)
	if w.inContainer {
		// Host networking: the daemon listens on the host's loopback, and
		// reaches the sidecars' control sockets and the containers as the
		// binary would.
		// The daemon makes the workspaces' id-mapped views (mount(2)) in
		// its data folder, and the engine on the host binds them: it
		// needs the privilege to mount, and the data folder shared back,
		// which needs it to be a shared mount on the host.
		for _, cmd := range [][]string{{"mount", "--bind", w.data, w.data}, {"mount", "--make-rshared", w.data}} {
			out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput()
			require.NoError(t, err, "%v: %s", cmd, out)
		}
		t.Cleanup(func() { _ = exec.Command("umount", "-R", w.data).Run() })
		run := []string{"run", "--rm", "--name", w.name + "-daemon", "--label", labelSuite + "=1", "--network", "host", "--cap-add", "SYS_ADMIN",
			"-v", "/var/run/docker.sock:/var/run/docker.sock", "-v", w.data + ":" + w.data + ":rshared", "-v", w.workRoot + ":" + w.workRoot,
			hostImage, "--data", w.data} // the image's entrypoint is `warden serve`
		cmd = exec.Command("docker", append(append(run, args[3:]...), w.daemonArgs...)...)
		t.Cleanup(func() { _ = exec.Command("docker", "rm", "-f", w.name+"-daemon").Run() })
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	require.NoError(t, cmd.Start())
	logf.Close()
	w.daemon = cmd
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_ = cmd.Wait()
		}
		if t.Failed() {
			if b, err := os.ReadFile(w.logPath); err == nil {
				t.Logf("daemon log (last 8 KiB):\n%s", tail(b, 8<<10))
			}
		}
	})
	sock := socketClient(filepath.Join(w.data, "warden.sock"))
	require.Eventually(t, func() bool {
		resp, err := sock.Get("http://localhost/api/v1/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}, 20*time.Second, 50*time.Millisecond, "daemon did not answer /health on its socket")
}

// socketClient calls the API over its unix socket, as the CLI does.
func socketClient(path string) *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}}}
}

// token is the daemon's API token, for calls over TCP as a script makes.
func (w *world) token() string {
	w.t.Helper()
	tok, err := os.ReadFile(filepath.Join(w.data, "token"))
	require.NoError(w.t, err)
	return strings.TrimSpace(string(tok))
}

// killDaemon stops the daemon with SIGKILL, as a crash would.
func (w *world) killDaemon() {
	require.NoError(w.t, w.daemon.Process.Kill())
	_ = w.daemon.Wait()
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// cleanupDocker removes every container of this world's projects, the fake
// internet and the network.
func (w *world) cleanupDocker() {
	if w.daemon != nil && w.daemon.ProcessState == nil {
		_ = w.daemon.Process.Signal(syscall.SIGTERM)
		_ = w.daemon.Wait()
	}
	out, _ := exec.Command("docker", "ps", "-aq", "--filter", "network="+w.network).Output()
	ids := strings.Fields(string(out))
	// Agents join their sidecar's namespace, not the network, so the
	// filter misses them; their sidecars name their projects.
	projects, _ := exec.Command("docker", "ps", "-a", "--filter", "network="+w.network,
		"--format", `{{.Label "warden.project"}}`).Output()
	for _, id := range strings.Fields(string(projects)) {
		ids = append(ids, "warden-"+id+"-agent")
	}
	if len(ids) > 0 {
		_ = exec.Command("docker", append([]string{"rm", "-f"}, ids...)...).Run()
	}
	_ = exec.Command("docker", "rm", "-f", w.name+"-fakeinet").Run()
	_ = exec.Command("docker", "network", "rm", w.network).Run()
}

// cli runs the warden command against this world's daemon, over its unix
// socket as a user would.
func (w *world) cli(args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	cmd := exec.Command(bins.warden, append([]string{"--data", w.data}, args...)...)
	cmd.Env = append(os.Environ(), "WARDEN_ADDR=", "WARDEN_TOKEN=")
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return out.String(), errOut.String(), err
}

// mustCLI runs the warden command and fails the test if it fails.
func (w *world) mustCLI(args ...string) string {
	w.t.Helper()
	out, errOut, err := w.cli(args...)
	require.NoError(w.t, err, "warden %s: %s%s", strings.Join(args, " "), out, errOut)
	return out
}

// createProject creates and starts a project with the test agent image;
// with no domains the presets fill the allowlist.
func (w *world) createProject(mode string, domains ...string) string {
	w.t.Helper()
	args := []string{"project", "create", "--workspace", ownedWorkspace(w.t), "--agent", "claude-code",
		"--image", agentImage, "--mode", mode, "--start"}
	for _, d := range domains {
		args = append(args, "--domain", d)
	}
	id := strings.TrimSpace(w.mustCLI(args...))
	require.Regexp(w.t, `^[0-9a-f]{12}$`, id)
	return id
}

// probeResult is what test/probe prints.
type probeResult struct {
	OK     bool     `json:"ok"`
	Error  string   `json:"error"`
	Rcode  string   `json:"rcode"`
	EDE    []uint16 `json:"ede"`
	Addrs  []string `json:"addrs"`
	Reply  string   `json:"reply"`
	Status int      `json:"status"`
	Rounds int      `json:"rounds"`
}

// probe runs the probe program in the project's agent.
func (w *world) probe(id string, args ...string) probeResult {
	w.t.Helper()
	out, errOut, err := w.cli(append([]string{"exec", id, "--", "probe"}, args...)...)
	require.NoError(w.t, err, "probe %v: %s%s", args, out, errOut)
	var r probeResult
	require.NoError(w.t, json.Unmarshal([]byte(out), &r), "probe output %q", out)
	return r
}

// containerStart returns a container's id and start time, to prove that a
// live change restarted nothing.
func (w *world) containerStart(name string) string {
	return w.docker("inspect", "--format", "{{.Id}} {{.State.StartedAt}}", name)
}

// ownedWorkspace is a temporary folder owned by uid and gid 1000, as a
// user's own workspace is: Warden refuses one of root's.
func ownedWorkspace(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chown(dir, 1000, 1000); err != nil {
		t.Fatal(err)
	}
	return dir
}
