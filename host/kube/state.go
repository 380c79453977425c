package kube

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/warden-sh/warden/host/runtime"
)

// State reports the project's pod as the daemon's container pair.
func (r *Runtime) State(ctx context.Context, id string) (runtime.State, error) {
	if err := checkID(id); err != nil {
		return runtime.State{}, err
	}
	pod, err := r.cs.CoreV1().Pods(r.cfg.Namespace).Get(ctx, objectName(id), metav1.GetOptions{})
	if apierrors.IsNotFound(err) || (err == nil && r.owned("pod", pod) != nil) {
		// Another daemon's pod of the same name is not this project's.
		return runtime.State{Sidecar: missing(), Agent: missing()}, nil
	}
	if err != nil {
		return runtime.State{}, fmt.Errorf("reading pod %s: %w", objectName(id), err)
	}
	return stateOf(pod), nil
}

// List returns the state of every project that has a pod of this instance.
func (r *Runtime) List(ctx context.Context) (map[string]runtime.State, error) {
	pods, err := r.cs.CoreV1().Pods(r.cfg.Namespace).List(ctx, metav1.ListOptions{LabelSelector: LabelInstance + "=" + r.cfg.Instance})
	if err != nil {
		return nil, fmt.Errorf("listing pods: %w", err)
	}
	out := make(map[string]runtime.State, len(pods.Items))
	for i := range pods.Items {
		if id := pods.Items[i].Labels[LabelProject]; checkID(id) == nil {
			out[id] = stateOf(&pods.Items[i])
		}
	}
	return out, nil
}

func missing() runtime.ContainerState { return runtime.ContainerState{Status: runtime.StatusMissing} }

// stateOf maps the pod's container statuses onto the Docker words the
// daemon knows: running, created (waiting), exited.
func stateOf(pod *corev1.Pod) runtime.State {
	st := runtime.State{Sidecar: missing(), Agent: missing()}
	var errs []string
	conv := func(cs corev1.ContainerStatus) runtime.ContainerState {
		c := runtime.ContainerState{ID: cs.ContainerID, IP: pod.Status.PodIP}
		switch {
		case cs.State.Running != nil:
			c.Status = "running"
			c.StartedAt = cs.State.Running.StartedAt.Time
		case cs.State.Terminated != nil:
			c.Status = "exited"
			if cs.State.Terminated.ExitCode != 0 {
				errs = append(errs, fmt.Sprintf("%s exited with %d (%s)", cs.Name, cs.State.Terminated.ExitCode, cs.State.Terminated.Reason))
			}
		default:
			c.Status = "created"
			if w := cs.State.Waiting; w != nil && w.Reason != "" && w.Reason != "PodInitializing" && w.Reason != "ContainerCreating" {
				errs = append(errs, fmt.Sprintf("%s waiting: %s %s", cs.Name, w.Reason, w.Message))
			}
		}
		return c
	}
	for _, cs := range pod.Status.InitContainerStatuses {
		if cs.Name == containerSidecar {
			st.Sidecar = conv(cs)
		}
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Name == containerAgent {
			st.Agent = conv(cs)
		}
	}
	if pod.DeletionTimestamp != nil {
		errs = append(errs, "pod is being deleted")
	}
	st.Running = st.Sidecar.Status == "running" && st.Agent.Status == "running" && pod.DeletionTimestamp == nil
	if len(errs) > 0 {
		st.Error = fmt.Sprint(errs)
	}
	return st
}
