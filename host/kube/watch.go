package kube

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/warden-sh/warden/host/runtime"
)

// Watch calls fn with Docker's words for what happens to the projects'
// containers: "start" when a container runs with a new id, "die" when one
// stops running, "destroy" when the pod goes. It returns when ctx ends or
// the API server ends the stream.
func (r *Runtime) Watch(ctx context.Context, fn func(projectID, role, action string)) error {
	w, err := r.cs.CoreV1().Pods(r.cfg.Namespace).Watch(ctx, metav1.ListOptions{LabelSelector: LabelInstance + "=" + r.cfg.Instance})
	if err != nil {
		return fmt.Errorf("watching pods: %w", err)
	}
	defer w.Stop()
	// seen is, per project and role, the id of the container last seen
	// running ("" once it stopped).
	seen := map[string]map[string]string{}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-w.ResultChan():
			if !ok {
				return errors.New("the API server ended the pod watch")
			}
			if ev.Type == watch.Error {
				return fmt.Errorf("the pod watch failed: %v", apierrors.FromObject(ev.Object))
			}
			pod, ok := ev.Object.(*corev1.Pod)
			if !ok {
				continue
			}
			id := pod.Labels[LabelProject]
			if checkID(id) != nil {
				continue
			}
			if ev.Type == watch.Deleted {
				delete(seen, id)
				fn(id, runtime.RoleSidecar, "destroy")
				fn(id, runtime.RoleAgent, "destroy")
				continue
			}
			st := stateOf(pod)
			if seen[id] == nil {
				seen[id] = map[string]string{}
			}
			for role, c := range map[string]runtime.ContainerState{runtime.RoleSidecar: st.Sidecar, runtime.RoleAgent: st.Agent} {
				prev, had := seen[id][role]
				switch {
				case c.Status == "running" && c.ID != prev:
					seen[id][role] = c.ID
					fn(id, role, "start")
				case c.Status != "running" && had && prev != "":
					seen[id][role] = ""
					fn(id, role, "die")
				}
			}
		}
	}
}
