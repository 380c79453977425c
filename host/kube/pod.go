package kube

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/warden-sh/warden/host/agent"
	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/host/runtime"
)

// agentCapDrop are the capabilities the agent's root loses, as on Docker
// (host/runtime): NET_ADMIN and NET_RAW would undo the sidecar's rules,
// MKNOD and SETFCAP would make device nodes and capability files.
var agentCapDrop = []corev1.Capability{"NET_ADMIN", "NET_RAW", "MKNOD", "SETFCAP"}

// tokenLifetime is the projected token's; the kubelet renews it before.
const tokenLifetime = 3600

// podSpec is the project's pod: the sidecar as a native sidecar, the agent
// as the main container. server is the API server's URL as pods reach it.
// agentFiles are the node's files the agent gets beside its workspace: the
// parts of its repository that git runs (read-only), and its config folders
// (logins and settings) below home, the project's folder on the node.
type agentFiles struct {
	git     []runtime.GitMount
	home    string
	folders []string
}

func (r *Runtime) podSpec(p project.Project, t agent.Definition, server string, apiPort int, files agentFiles) *corev1.Pod {
	name := objectName(p.ID)
	always := corev1.ContainerRestartPolicyAlways
	no := false
	args := []string{
		"--policy-configmap", r.cfg.Namespace + "/" + name,
		"--kube-api", server,
		"--host-gateway", r.cfg.HostGateway.String(),
		"--ready-file", sidecarReady,
	}
	for _, u := range r.cfg.Upstreams {
		args = append(args, "--upstream", u)
	}
	closed := slices.Clone(r.cfg.ClosedHostPorts)
	if apiPort > 0 && !slices.Contains(closed, apiPort) {
		closed = append(closed, apiPort)
	}
	slices.Sort(closed)
	for _, port := range closed {
		args = append(args, "--host-closed-port", strconv.Itoa(port))
	}
	sidecar := corev1.Container{
		Name:            containerSidecar,
		Image:           r.cfg.SidecarImage,
		ImagePullPolicy: corev1.PullNever,
		// The image's warden-sidecar leaves client-go out (its memory on
		// Docker); this one has the Kubernetes mode.
		Command:       []string{"/usr/local/bin/warden-sidecar-kube"},
		Args:          args,
		RestartPolicy: &always,
		SecurityContext: &corev1.SecurityContext{
			Capabilities:             &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN"}},
			AllowPrivilegeEscalation: &no,
		},
		VolumeMounts: []corev1.VolumeMount{
			{Name: volumeToken, MountPath: tokenMountPath, ReadOnly: true},
			{Name: volumeSidecar, MountPath: sidecarRunDir},
		},
		// The start gate: the kubelet starts the agent only once this
		// hook has ended, and kills the sidecar when it fails. It ends as
		// soon as the sidecar reports its first policy in place (the ready
		// file), and fails after ten minutes without one. The file lives in
		// a volume of the sidecar's own, so it outlasts a restart of the
		// sidecar: the agent runs already then, the namespace's rules stay,
		// and the new sidecar starts closed until it reads its policy.
		// A hook rather than a startup probe: a probe runs on the kubelet's
		// one-second ticks after it has noticed the container running, which
		// added about a second to every start.
		Lifecycle: &corev1.Lifecycle{PostStart: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"sh", "-c",
			"for i in $(seq 30000); do [ -f " + sidecarReady + " ] && exit 0; sleep 0.02; done; exit 1"}}}},
	}
	env := maps.Clone(t.Env)
	if env == nil {
		env = map[string]string{}
	}
	maps.Copy(env, p.Env)
	agentC := corev1.Container{
		Name:            containerAgent,
		Image:           agentImage(p, t),
		ImagePullPolicy: corev1.PullNever,
		WorkingDir:      agentWorkdir,
		Env:             envVars(env),
		SecurityContext: &corev1.SecurityContext{
			Capabilities: &corev1.Capabilities{Drop: agentCapDrop},
			// Without a user namespace (hostUsers: false needs containerd
			// 2) the agent's root is the node's root in a hostPath
			// workspace: a setuid-root file it left there would run as
			// root on the node. No setuid binary, sudo included, raises
			// the agent's privileges.
			AllowPrivilegeEscalation: &no,
		},
		VolumeMounts: files.mounts(),
		Resources:    resources(p.Limits),
	}
	expiry := int64(tokenLifetime)
	grace := int64(2)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:      name,
			Namespace: r.cfg.Namespace,
			Labels:    map[string]string{LabelProject: p.ID, LabelInstance: r.cfg.Instance},
		},
		Spec: corev1.PodSpec{
			NodeName:           r.cfg.Node,
			ServiceAccountName: name,
			// No container gets a token unless it mounts one: only the
			// sidecar does, from its own projected volume.
			AutomountServiceAccountToken: &no,
			// The runtime's default seccomp profile, as Docker applies to
			// every container: the kubelet's default is none.
			SecurityContext: &corev1.PodSecurityContext{
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			EnableServiceLinks:            &no,
			RestartPolicy:                 corev1.RestartPolicyAlways,
			TerminationGracePeriodSeconds: &grace,
			DNSPolicy:                     corev1.DNSNone,
			// The sidecar's DNS filter listens on the pod's loopback and
			// answers in every mode (in full mode it forwards every name).
			DNSConfig:      &corev1.PodDNSConfig{Nameservers: []string{"127.0.0.1"}},
			HostAliases:    []corev1.HostAlias{{IP: r.cfg.HostGateway.String(), Hostnames: []string{"host.docker.internal"}}},
			InitContainers: []corev1.Container{sidecar},
			Containers:     []corev1.Container{agentC},
			Volumes: []corev1.Volume{
				{Name: volumeWorkspace, VolumeSource: workspaceSource(p.Workspace)},
				{Name: volumeSidecar, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}}},
				{Name: volumeToken, VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
					{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: &expiry}},
					{ConfigMap: &corev1.ConfigMapProjection{
						LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"},
						Items:                []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}},
					}},
				}}}},
			},
		},
	}
	pod.Spec.Volumes = append(pod.Spec.Volumes, files.volumes()...)
	if needsKeepAlive(t) {
		pod.Spec.Containers[0].Command = []string{"sleep", "infinity"}
	}
	pod.Annotations = map[string]string{annotSpec: specHash(pod.Spec), annotAgentCommand: agentCommandValue(t.Command)}
	return pod
}

// mounts mounts the workspace at /workspace, the parts of its repository
// that git runs as subpaths of it (see gitMounts), and each config folder
// as a subpath of the project's home on the node.
func (f agentFiles) mounts() []corev1.VolumeMount {
	out := []corev1.VolumeMount{{Name: volumeWorkspace, MountPath: agentWorkdir}}
	for _, g := range f.git {
		out = append(out, corev1.VolumeMount{Name: volumeWorkspace, MountPath: agentWorkdir + "/" + g.Rel, SubPath: g.Rel, ReadOnly: g.ReadOnly})
	}
	for _, dir := range f.folders {
		out = append(out, corev1.VolumeMount{Name: volumeHome, MountPath: dir, SubPath: strings.TrimPrefix(dir, "/")})
	}
	return out
}

// volumes are the agent's volumes beside the workspace: the project's home
// on the node when it has config folders.
func (f agentFiles) volumes() []corev1.Volume {
	if len(f.folders) == 0 {
		return nil
	}
	dirType := corev1.HostPathDirectory
	return []corev1.Volume{{Name: volumeHome, VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: f.home, Type: &dirType}}}}
}

// workspaceSource is the workspace's volume: the PersistentVolumeClaim it
// names (pvc:NAME), or a folder on the node.
func workspaceSource(workspace string) corev1.VolumeSource {
	if claim, ok := project.Claim(workspace); ok {
		return corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}
	}
	dirType := corev1.HostPathDirectory
	return corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: workspace, Type: &dirType}}
}

// needsKeepAlive is never true for now: the images the backend runs keep
// themselves up (their CMD). Agent types drive the agent through exec.
func needsKeepAlive(agent.Definition) bool { return false }

func agentImage(p project.Project, t agent.Definition) string {
	if p.Image != "" {
		return p.Image
	}
	return t.Image
}

func envVars(env map[string]string) []corev1.EnvVar {
	keys := slices.Sorted(maps.Keys(env))
	out := make([]corev1.EnvVar, 0, len(keys))
	for _, k := range keys {
		out = append(out, corev1.EnvVar{Name: k, Value: env[k]})
	}
	return out
}

// resources turns the project's limits into the agent's. The PID limit is
// the node's (the kubelet's podPidsLimit), not the pod's.
func resources(l project.Limits) corev1.ResourceRequirements {
	lim := corev1.ResourceList{}
	if l.MemoryMB > 0 {
		lim[corev1.ResourceMemory] = *resource.NewQuantity(l.MemoryMB<<20, resource.BinarySI)
	}
	if l.CPUs > 0 {
		lim[corev1.ResourceCPU] = *resource.NewMilliQuantity(int64(l.CPUs*1000), resource.DecimalSI)
	}
	if len(lim) == 0 {
		return corev1.ResourceRequirements{}
	}
	// A request equal to the limit would reserve it; ask for little.
	return corev1.ResourceRequirements{Limits: lim, Requests: corev1.ResourceList{
		corev1.ResourceCPU:    *resource.NewMilliQuantity(10, resource.DecimalSI),
		corev1.ResourceMemory: *resource.NewQuantity(16<<20, resource.BinarySI),
	}}
}

func specHash(spec corev1.PodSpec) string {
	b, err := json.Marshal(spec)
	if err != nil {
		panic(fmt.Sprintf("encoding a pod spec: %v", err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}
