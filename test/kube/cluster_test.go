package kube

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/warden-sh/warden/host/agent"
	"github.com/warden-sh/warden/host/kube"
	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/test/fakeinet"
)

// Where cluster.sh leaves the cluster; the same defaults as the script.
var (
	kubeconfig = envOr("KUBECONFIG_WARDEN", "/var/lib/warden-kube/admin.kubeconfig")
	kubectl    = envOr("KUBECTL", "/var/cache/warden-kube/bin/kubectl")
	imageTag   = envOr("WARDEN_IMAGE_TAG", "latest")
)

const (
	nodeName    = "warden-kube"
	podGateway  = "198.18.0.1"
	fakeDNSPort = "5353"
)

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// cluster is what every test shares: the clientset, the node's address and
// the stand-in for the internet, started once.
type cluster struct {
	cs     kubernetes.Interface
	nodeIP netip.Addr
	dns    *fakeinet.DNS
}

var (
	shared1   sync.Once
	theClust  *cluster
	clusterEr string
)

// testZone is every name the tests use; all point at the fake internet.
var testZone = fakeinet.Zone{
	"allowed.test.": {podGateway},
	"other.test.":   {podGateway},
	"added.test.":   {podGateway},
}

func getCluster(t testing.TB) *cluster {
	t.Helper()
	shared1.Do(func() {
		rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		if err != nil {
			clusterEr = "reading " + kubeconfig + " (is the cluster up? make cluster): " + err.Error()
			return
		}
		cs, err := kubernetes.NewForConfig(rc)
		if err != nil {
			clusterEr = err.Error()
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := cs.CoreV1().Nodes().Get(ctx, nodeName, metav1.GetOptions{}); err != nil {
			clusterEr = "the cluster does not answer (make cluster): " + err.Error()
			return
		}
		u, _ := url.Parse(rc.Host)
		ip, err := netip.ParseAddr(u.Hostname())
		if err != nil {
			clusterEr = "the kubeconfig's server is not an IP address: " + rc.Host
			return
		}
		d := &fakeinet.DNS{Zone: testZone}
		if _, err := fakeinet.ServeDNS(podGateway+":"+fakeDNSPort, d); err != nil {
			clusterEr = "serving the fake DNS on the pod gateway: " + err.Error()
			return
		}
		if _, err := fakeinet.ServeEcho(podGateway); err != nil {
			clusterEr = "serving the fake internet on the pod gateway: " + err.Error()
			return
		}
		theClust = &cluster{cs: cs, nodeIP: ip, dns: d}
	})
	if theClust == nil {
		t.Fatal(clusterEr)
	}
	return theClust
}

// env is one test's namespace and runtime.
type env struct {
	*cluster
	ns string
	rt *kube.Runtime
}

func newEnv(t testing.TB) *env {
	t.Helper()
	c := getCluster(t)
	ns := "warden-test-" + randHex(4)
	ctx := context.Background()
	if _, err := c.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		grace := int64(0)
		_ = c.cs.CoreV1().Pods(ns).DeleteCollection(context.Background(), metav1.DeleteOptions{GracePeriodSeconds: &grace}, metav1.ListOptions{})
		_ = c.cs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
	})
	rt, err := kube.New(kube.Config{
		Kubeconfig:   kubeconfig,
		Namespace:    ns,
		SidecarImage: "warden-sidecar:" + imageTag,
		Node:         nodeName,
		Upstreams:    []string{podGateway + ":" + fakeDNSPort},
		HostGateway:  c.nodeIP,
		ReadyTimeout: 90 * time.Second,
		Agents:       agent.NewRegistry(),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &env{cluster: c, ns: ns, rt: rt}
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newProject is a project of the test agent image with the given policy.
func newProject(t testing.TB, mode shared.Mode, domains ...string) project.Project {
	t.Helper()
	ws := t.TempDir()
	if err := os.Chmod(ws, 0o777); err != nil {
		t.Fatal(err)
	}
	if domains == nil {
		domains = []string{}
	}
	return project.Project{
		ID: project.NewID(), Name: "kube-test", Workspace: ws, AgentType: "claude-code",
		Image: "warden-agent-test:" + imageTag, Mode: mode, Domains: domains,
		Desired: project.DesiredRunning,
	}
}

// start starts p and stops it when the test ends.
func (e *env) start(t *testing.T, p project.Project) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := e.rt.Start(ctx, p); err != nil {
		t.Fatalf("starting project: %v\n%s", err, e.describe(p.ID))
	}
	t.Cleanup(func() { _ = e.rt.Remove(context.Background(), p.ID) })
}

// describe is kubectl's view of the pod, for failure messages.
func (e *env) describe(id string) string {
	out, _ := exec.Command(kubectl, "--kubeconfig", kubeconfig, "-n", e.ns, "describe", "pod", "warden-"+id).CombinedOutput()
	return string(out)
}

// put makes p the project's policy through the API server and waits for
// the sidecar's confirmation.
func (e *env) put(t *testing.T, id string, p shared.Policy) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := e.rt.PutPolicy(ctx, e.rt.SocketPath(id), p); err != nil {
		t.Fatalf("putting policy %+v: %v\n%s", p, err, e.sidecarLog(id))
	}
}

// probeResult is what test/probe prints.
type probeResult struct {
	OK     bool   `json:"ok"`
	Error  string `json:"error"`
	Status int    `json:"status"`
	Reply  string `json:"reply"`
	Rcode  string `json:"rcode"`
	Rounds int    `json:"rounds"`
}

// probe runs test/probe in a container of the project's pod.
func (e *env) probe(t *testing.T, id, container string, args ...string) probeResult {
	t.Helper()
	out := e.exec(t, id, container, append([]string{"probe"}, args...)...)
	var r probeResult
	if err := jsonUnmarshal(out, &r); err != nil {
		t.Fatalf("probe %v printed %q: %v", args, out, err)
	}
	return r
}

// exec runs a command in a container of the project's pod through the API
// server (kubectl exec) and returns its standard output.
func (e *env) exec(t *testing.T, id, container string, args ...string) string {
	t.Helper()
	return e.execPod(t, "warden-"+id, container, args...)
}

func (e *env) execPod(t *testing.T, pod, container string, args ...string) string {
	t.Helper()
	cmd := exec.Command(kubectl, append([]string{"--kubeconfig", kubeconfig, "-n", e.ns, "exec", pod, "-c", container, "--"}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kubectl exec %s %v: %v\n%s", pod, args, err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// reach says whether the agent gets an HTTP answer from the fake internet
// under name.
func (e *env) reach(t *testing.T, id, name string) probeResult {
	t.Helper()
	return e.probe(t, id, "agent", "http", "http://"+name+"/", "-timeout", "3s")
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// sidecarLog is the end of the sidecar's log, for failure messages.
func (e *env) sidecarLog(id string) string {
	out, _ := exec.Command(kubectl, "--kubeconfig", kubeconfig, "-n", e.ns, "logs", "warden-"+id, "-c", "sidecar", "--tail", "40").CombinedOutput()
	return string(out)
}
