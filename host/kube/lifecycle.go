package kube

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/warden-sh/warden/host/agent"
	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/host/runtime"
)

// pollInterval is how often Start and Stop look at the pod.
const pollInterval = 100 * time.Millisecond

// deleteGrace is the pods' grace period: the agent is driven through exec,
// its own process only keeps the container up.
const deleteGrace = int64(1)

// Start makes sure the project's pod runs its current spec with both
// containers ready. The agent starts only after the sidecar's postStart
// hook ended, i.e. once the stored policy is in place.
func (r *Runtime) Start(ctx context.Context, p project.Project) error {
	if err := checkID(p.ID); err != nil {
		return err
	}
	defer r.locks.Lock(p.ID)()
	begin := time.Now()
	t, ok := r.cfg.Agents.Lookup(p.AgentType)
	if !ok {
		return fmt.Errorf("project %s: unknown agent type %q; expect one of %s", p.ID, p.AgentType, strings.Join(r.cfg.Agents.Names(), ", "))
	}
	if p.WorkspaceResolved != "" {
		p.Workspace = p.WorkspaceResolved
	}
	if err := r.checkClaim(ctx, p.Workspace); err != nil {
		return err
	}
	if err := r.ensureAccess(ctx, p.ID); err != nil {
		return err
	}
	if err := r.ensurePolicy(ctx, p.ID, p.Policy()); err != nil {
		return err
	}
	objects := time.Now()
	files, err := r.agentFiles(p, t)
	if err != nil {
		return err
	}
	want := r.podSpec(p, t, r.podServer, r.apiPort, files)
	pods := r.cs.CoreV1().Pods(r.cfg.Namespace)
	cur, err := pods.Get(ctx, want.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		cur = nil
	case err != nil:
		return fmt.Errorf("reading pod %s: %w", want.Name, err)
	default:
		if err := r.owned("pod", cur); err != nil {
			return err
		}
	}
	if cur != nil && (cur.DeletionTimestamp != nil || cur.Annotations[annotSpec] != want.Annotations[annotSpec] ||
		cur.Status.Phase == corev1.PodFailed || cur.Status.Phase == corev1.PodSucceeded) {
		r.log.Info("replacing pod", "project", p.ID)
		if err := r.deletePod(ctx, p.ID); err != nil {
			return err
		}
		cur = nil
		// Looked at again with the old agent gone: it could have
		// replaced a part of .git since.
		if files, err = r.agentFiles(p, t); err != nil {
			return err
		}
		want = r.podSpec(p, t, r.podServer, r.apiPort, files)
	}
	if cur == nil {
		if _, err := pods.Create(ctx, want, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating pod %s: %w", want.Name, err)
		}
		r.log.Info("pod created", "project", p.ID)
	}
	created := time.Now()
	if err := r.waitReady(ctx, p.ID); err != nil {
		return err
	}
	r.log.Info("project running", "project", p.ID, "ms", time.Since(begin).Milliseconds(),
		"objects_ms", objects.Sub(begin).Milliseconds(), "pod_ms", created.Sub(objects).Milliseconds(),
		"ready_ms", time.Since(created).Milliseconds())
	return nil
}

// agentFiles prepares what the agent gets of the node beside its
// workspace. For a folder workspace holding a repository: its .git parts
// that git runs, read-only, and .git a mount point, as on Docker
// (runtime.GitMounts), so the user's own git, run in the workspace on the
// node, runs none of the agent's code. And the agent type's config folders
// under the project's home (HomeRoot/<id>), owned by the workspace's owner
// as on Docker, kept across pods. The daemon reads and writes these where
// it runs, as it read the folder when the project was created, so it runs
// on the workspace's node. A claim's files are out of the daemon's sight:
// neither is made for it; nor the git parts when the project lets its agent
// write its git configuration.
func (r *Runtime) agentFiles(p project.Project, t agent.Definition) (agentFiles, error) {
	if _, claim := project.Claim(p.Workspace); claim {
		return agentFiles{}, nil
	}
	uid, gid, err := runtime.Owner(p.Workspace)
	if err != nil {
		return agentFiles{}, fmt.Errorf("%w; the daemon reads the workspace's .git and keeps the agent's config folders where it runs, so run it on the workspace's node", err)
	}
	var f agentFiles
	if !p.GitConfigWritable {
		if f.git, err = runtime.GitMounts(p.Workspace, uid, gid); err != nil {
			return agentFiles{}, err
		}
	}
	if r.cfg.HomeRoot != "" && len(t.ConfigFolders) > 0 {
		f.home, f.folders = filepath.Join(r.cfg.HomeRoot, p.ID), t.ConfigFolders
		if err := runtime.PrepareConfigFolders(f.home, f.folders, uid, gid); err != nil {
			return agentFiles{}, err
		}
	}
	return f, nil
}

// checkClaim refuses a workspace claim that does not exist or is going:
// the pod would wait for it until Start gave up, with no word of why. A
// claim not yet bound is fine (its class may bind it for the pod).
func (r *Runtime) checkClaim(ctx context.Context, workspace string) error {
	claim, ok := project.Claim(workspace)
	if !ok {
		return nil
	}
	pvc, err := r.cs.CoreV1().PersistentVolumeClaims(r.cfg.Namespace).Get(ctx, claim, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return fmt.Errorf("workspace %s: the PersistentVolumeClaim %s/%s does not exist; create it (kubectl -n %s apply -f claim.yaml), then start the project again",
			workspace, r.cfg.Namespace, claim, r.cfg.Namespace)
	case err != nil:
		return fmt.Errorf("workspace %s: reading the PersistentVolumeClaim: %w", workspace, err)
	case pvc.DeletionTimestamp != nil:
		return fmt.Errorf("workspace %s: the PersistentVolumeClaim %s/%s is being deleted", workspace, r.cfg.Namespace, claim)
	case pvc.Status.Phase == corev1.ClaimLost:
		return fmt.Errorf("workspace %s: the PersistentVolumeClaim %s/%s has lost its volume", workspace, r.cfg.Namespace, claim)
	}
	return nil
}

// waitReady waits until the pod's both containers run and are ready.
func (r *Runtime) waitReady(ctx context.Context, id string) error {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.ReadyTimeout)
	defer cancel()
	pods := r.cs.CoreV1().Pods(r.cfg.Namespace)
	var last *corev1.Pod
	for {
		pod, err := pods.Get(ctx, objectName(id), metav1.GetOptions{})
		if err == nil {
			last = pod
			if podReady(pod) {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			why := "no pod"
			if last != nil {
				why = stateOf(last).Error
				if why == "" {
					why = "phase " + string(last.Status.Phase)
				}
			}
			return fmt.Errorf("waiting for pod %s to run (%s): %w", objectName(id), why, ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// Stop deletes the project's pod; its policy and access stay for the next
// start.
func (r *Runtime) Stop(ctx context.Context, id string) error {
	if err := checkID(id); err != nil {
		return err
	}
	defer r.locks.Lock(id)()
	return r.deletePod(ctx, id)
}

// Remove deletes everything of the project; what is gone already is fine.
func (r *Runtime) Remove(ctx context.Context, id string) error {
	if err := checkID(id); err != nil {
		return err
	}
	defer r.locks.Lock(id)()
	if err := r.deletePod(ctx, id); err != nil {
		return err
	}
	cms := r.cs.CoreV1().ConfigMaps(r.cfg.Namespace)
	if _, err := deleteOwned(ctx, r, "configmap", objectName(id), cms.Get, cms.Delete, metav1.DeleteOptions{}); err != nil {
		return err
	}
	r.forgetFeed(id)
	if err := r.removeAccess(ctx, id); err != nil {
		return err
	}
	if r.cfg.HomeRoot != "" {
		if err := os.RemoveAll(filepath.Join(r.cfg.HomeRoot, id)); err != nil {
			return fmt.Errorf("removing the config folders of project %s: %w", id, err)
		}
	}
	return nil
}

// deletePod deletes the pod and waits until it is gone.
func (r *Runtime) deletePod(ctx context.Context, id string) error {
	r.links.drop(id, nil) // its forwards end with the pod
	pods := r.cs.CoreV1().Pods(r.cfg.Namespace)
	grace := deleteGrace
	deleted, err := deleteOwned(ctx, r, "pod", objectName(id), pods.Get, pods.Delete, metav1.DeleteOptions{GracePeriodSeconds: &grace})
	if err != nil || !deleted {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.ReadyTimeout)
	defer cancel()
	for {
		_, err := pods.Get(ctx, objectName(id), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for pod %s to go: %w", objectName(id), ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}
