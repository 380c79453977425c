package kube

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/warden-sh/warden/shared"
)

// hostileCommands are what the agent's root tries against the rules, the
// interfaces and the kernel's settings of its pod (the Docker suite's
// TestDockerAgentCannotEscape and more). Each one works in a container that
// keeps NET_ADMIN.
var hostileCommands = []string{
	"iptables -I OUTPUT 1 -j ACCEPT",
	"iptables -P OUTPUT ACCEPT",
	"iptables -t nat -F",
	"ip6tables -F",
	"ipset create evil hash:ip",
	"ip link add evil0 type veth peer name evil1",
	"ip link set lo down",
	"ip route add 203.0.113.0/24 dev eth0",
}

// TestKubeHostileRoot is a hostile agent with sudo in a project's pod. First
// the attacks with the defences off: a pod of the same image that keeps
// NET_ADMIN and NET_RAW and has no sidecar changes its rules, opens raw
// sockets and asks the fake internet's DNS directly. Then the project's
// agent, as its user and through sudo: every attempt is refused, it cannot see or signal the sidecar nor
// find a token, a resolver it names itself is captured, the API server's
// port is closed, and afterwards the rules are intact.
func TestKubeHostileRoot(t *testing.T) {
	e := newEnv(t)
	p := newProject(t, shared.ModeRestricted, "allowed.test")
	e.start(t, p)
	apiAddr := e.nodeIP.String() + ":6443"

	t.Run("with the defences off the attacks work", func(t *testing.T) {
		loose := e.loosePod(t)
		for _, cmd := range hostileCommands {
			out := e.execPod(t, loose, "agent", "sudo", "-n", "sh", "-c", cmd+" && echo done")
			require.Contains(t, out, "done", "%q in a pod that keeps NET_ADMIN", cmd)
		}
		for _, probe := range []string{"mark", "packet", "raw"} {
			var r probeResult
			require.NoError(t, jsonUnmarshal(e.execPod(t, loose, "agent", "sudo", "-n", "probe", probe), &r))
			require.True(t, r.OK, "probe %s as root with NET_RAW: %+v", probe, r)
		}
		r := e.probeIn(t, loose, "resolve", "other.test", "-server", podGateway+":"+fakeDNSPort)
		require.True(t, r.OK, "asking the fake internet's DNS directly: %+v", r)
		r = e.probeIn(t, loose, "tcp", apiAddr)
		require.True(t, r.OK, "reaching the API server's port: %+v", r)
	})

	// The agent tries as its own user and through sudo; on this backend
	// sudo raises nothing (TestKubeAgentRules), so root never comes.
	asRoot := func(script string) (string, bool) {
		return e.execSh(t, p.ID, "agent", script+" || sudo -n sh -c '"+script+"'")
	}

	t.Run("sudo raises nothing", func(t *testing.T) {
		out, ok := e.execSh(t, p.ID, "agent", "sudo -n id -u")
		require.False(t, ok, out)
		require.Contains(t, out, "no new privileges")
	})
	for _, cmd := range append(hostileCommands,
		"iptables -F WARDEN-OUT",
		"ipset flush warden4",
		"ip link set eth0 down",
		"mount -t tmpfs none /mnt",
		"echo 1 > /proc/sys/net/ipv4/conf/all/route_localnet",
		"unshare --net true",
	) {
		t.Run(cmd, func(t *testing.T) {
			out, ok := asRoot(cmd)
			require.False(t, ok, "%q succeeded as root in the agent: %s", cmd, out)
		})
	}
	for _, probe := range []string{"mark", "packet", "raw"} {
		t.Run("probe "+probe, func(t *testing.T) {
			out, ok := e.execSh(t, p.ID, "agent", "probe "+probe)
			require.True(t, ok, out)
			require.Contains(t, out, `"ok":false`)
			require.Contains(t, out, "operation not permitted")
		})
	}
	t.Run("the sidecar is invisible and out of reach", func(t *testing.T) {
		out, ok := asRoot("ps -eo comm")
		require.True(t, ok, out)
		require.NotContains(t, out, "warden-sidecar")
		out, ok = asRoot("pkill -9 warden-sidecar")
		require.False(t, ok, "pkill found the sidecar: %s", out)
		out, _ = asRoot("ls /proc/*/root/var/run/secrets 2>/dev/null; grep -l warden-side[c]ar /proc/[0-9]*/cmdline 2>/dev/null; true")
		require.Empty(t, out, "the sidecar's files through /proc")
		require.Equal(t, int32(0), e.sidecarRestarts(t, p.ID), "the sidecar was restarted")
	})
	t.Run("no token anywhere", func(t *testing.T) {
		out, _ := asRoot("find / \\( -path /proc -o -path /sys \\) -prune -o \\( -name token -o -name ca.crt -o -path \"*serviceaccount*\" \\) -print 2>/dev/null; env | grep -i token; true")
		require.Empty(t, out, "the agent finds credentials")
	})
	// DNS over TCP to an allowed address is not tried: the fake internet's
	// resolver shares allowed.test's address, and TCP to an allowed address
	// that carries no name (neither TLS nor HTTP) keeps the address rule.
	t.Run("a resolver of its own choosing is captured or dropped", func(t *testing.T) {
		for _, args := range [][]string{
			{"resolve", "other.test", "-server", podGateway + ":" + fakeDNSPort},
			{"resolve", "other.test", "-server", podGateway + ":53"},
		} {
			r := e.probe(t, p.ID, "agent", args...)
			require.False(t, r.OK, "%v: %+v", args, r)
		}
		out, ok := asRoot("echo nameserver " + podGateway + " > /etc/resolv.conf")
		if ok {
			r := e.probe(t, p.ID, "agent", "resolve", "other.test")
			require.False(t, r.OK, "with its own resolv.conf: %+v", r)
			require.Equal(t, "REFUSED", r.Rcode, "the query to a resolver of its own is answered by the filter")
			r = e.probe(t, p.ID, "agent", "resolve", "allowed.test")
			require.True(t, r.OK, "allowed.test through the captured query: %+v", r)
		} else {
			t.Logf("resolv.conf is not writable: %s", out)
		}
	})
	t.Run("the API server's port is closed", func(t *testing.T) {
		r := e.probe(t, p.ID, "agent", "tcp", apiAddr)
		require.False(t, r.OK, "%+v", r)
	})

	if r := e.probe(t, p.ID, "agent", "tcp", soloAddr+":7"); r.OK {
		t.Fatalf("after the attempts an address no allowed name gave is reached: %+v", r)
	}
	if r := e.reach(t, p.ID, "other.test"); r.OK {
		t.Fatalf("after the attempts other.test is reached: %+v", r)
	}
	if r := e.reach(t, p.ID, "allowed.test"); !r.OK {
		t.Fatalf("after the attempts allowed.test is not reached: %+v", r)
	}
}

// loosePod runs the test agent image with NET_ADMIN added and nothing
// dropped, no sidecar in front, the runtime's defaults otherwise (no
// seccomp profile, privilege escalation allowed), and returns its name once
// it runs. A workspace, when given, is mounted from the node at /workspace
// as the project's pod mounts it.
func (e *env) loosePod(t *testing.T, workspace ...string) string {
	t.Helper()
	ctx := context.Background()
	no := false
	grace := int64(0)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "loose", Namespace: e.ns},
		Spec: corev1.PodSpec{
			NodeName:                      nodeName,
			AutomountServiceAccountToken:  &no,
			TerminationGracePeriodSeconds: &grace,
			Containers: []corev1.Container{{
				Name: "agent", Image: "warden-agent-test:" + imageTag, ImagePullPolicy: corev1.PullNever,
				SecurityContext: &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN"}}},
			}},
		},
	}
	for _, ws := range workspace {
		dir := corev1.HostPathDirectory
		pod.Spec.Volumes = []corev1.Volume{{Name: "workspace", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: ws, Type: &dir}}}}
		pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "workspace", MountPath: "/workspace"}}
	}
	if _, err := e.cs.CoreV1().Pods(e.ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.eventually(t, "the loose pod to run", func() bool {
		got, err := e.cs.CoreV1().Pods(e.ns).Get(ctx, pod.Name, metav1.GetOptions{})
		return err == nil && got.Status.Phase == corev1.PodRunning
	})
	return pod.Name
}
