package kube

import (
	"context"
	"testing"
	"time"

	"github.com/warden-sh/warden/host/daemon"
	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/shared"
)

// TestKubeDaemon drives the daemon on the Kubernetes backend as `warden
// serve --backend kubernetes` does: create and start a project, switch its
// mode live, restart the daemon (its view rebuilt from the cluster, the pod
// left running), and delete the project.
func TestKubeDaemon(t *testing.T) {
	e := newEnv(t)
	dataDir := t.TempDir()
	open := func() *daemon.Daemon {
		t.Helper()
		d, err := daemon.Open(e.daemonConfig(dataDir, "127.0.0.1:0"), nil)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	d := open()
	ws := newProject(t, shared.ModeRestricted).Workspace
	domains := []string{"allowed.test"}
	p, err := d.Create(ctx, project.Spec{Name: "kube-daemon", Workspace: ws, AgentType: "claude-code",
		Mode: shared.ModeRestricted, Domains: &domains, Image: "warden-agent-test:" + imageTag})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Start(ctx, p.ID); err != nil {
		t.Fatalf("starting: %v\n%s", err, e.describe(p.ID))
	}
	if r := e.reach(t, p.ID, "allowed.test"); !r.OK {
		t.Fatalf("allowed.test not reached: %+v", r)
	}
	if r := e.reach(t, p.ID, "other.test"); r.OK {
		t.Fatalf("other.test reached in restricted mode: %+v", r)
	}
	full := shared.ModeFull
	_, res, err := d.Update(ctx, p.ID, project.Patch{Mode: &full})
	if err != nil || !res.Applied {
		t.Fatalf("switching to full: %+v, %v", res, err)
	}
	if r := e.reach(t, p.ID, "other.test"); !r.OK {
		t.Fatalf("other.test not reached in full mode: %+v", r)
	}
	st, err := d.Status(ctx, p.ID)
	if err != nil || !st.Running || st.PolicyPending || st.Sidecar == nil || !st.Sidecar.Ready || st.Sidecar.Mode != shared.ModeFull {
		t.Fatalf("status after the switch: %+v (sidecar %+v), %v", st, st.Sidecar, err)
	}
	agentID := st.Containers.Agent.ID

	// A restarted daemon finds the project running, as it left it.
	d.Close()
	d = open()
	defer d.Close()
	st, err = d.Status(ctx, p.ID)
	if err != nil || !st.Running || st.Containers.Agent.ID != agentID {
		t.Fatalf("after a daemon restart: running=%v agent %q (was %q), %v", st.Running, st.Containers.Agent.ID, agentID, err)
	}
	if err := d.Delete(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	left, err := e.rt.List(ctx)
	if err != nil || len(left) != 0 {
		t.Fatalf("pods left after delete: %v, %v", left, err)
	}
}

// daemonConfig is the daemon's configuration on the Kubernetes backend in
// e's namespace, as `warden serve --backend kubernetes` makes it.
func (e *env) daemonConfig(dataDir, listen string) daemon.Config {
	cfg := daemon.DefaultConfig()
	cfg.DataDir = dataDir
	cfg.Listen = listen
	cfg.SidecarImage = "warden-sidecar:" + imageTag
	cfg.Upstreams = []string{podGateway + ":" + fakeDNSPort}
	cfg.ReadyTimeout = 90 * time.Second
	cfg.Backend = daemon.BackendKubernetes
	cfg.Kube = daemon.KubeConfig{Kubeconfig: kubeconfig, Namespace: e.ns, Node: nodeName}
	return cfg
}
