package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/warden-sh/warden/shared"
)

// writeTimeout bounds WritePolicy, which the daemon calls without a context.
const writeTimeout = 10 * time.Second

// policyText is the ConfigMap's policy: compact JSON, the same text for the
// same policy.
func policyText(p shared.Policy) (string, error) {
	if p.Domains == nil {
		p.Domains = []string{}
	}
	b, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("encoding policy: %w", err)
	}
	return string(b), nil
}

// WritePolicy makes p the project's stored policy in its ConfigMap; a
// running sidecar applies it at once, a starting one reads it.
func (r *Runtime) WritePolicy(id string, p shared.Policy) error {
	if err := checkID(id); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	_, err := r.writePolicy(ctx, id, p)
	return err
}

// writePolicy sets the policy text and returns it.
func (r *Runtime) writePolicy(ctx context.Context, id string, p shared.Policy) (string, error) {
	text, err := policyText(p)
	if err != nil {
		return "", err
	}
	name := objectName(id)
	cms := r.cs.CoreV1().ConfigMaps(r.cfg.Namespace)
	if err := r.ownPolicy(ctx, id); err != nil {
		return "", err
	}
	patch, _ := json.Marshal(map[string]any{"data": map[string]string{shared.KubePolicyKey: text}})
	_, err = cms.Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
	if apierrors.IsNotFound(err) {
		cm := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: r.cfg.Namespace,
				Labels: map[string]string{LabelProject: id, LabelInstance: r.cfg.Instance}},
			Data: map[string]string{shared.KubePolicyKey: text},
		}
		_, err = cms.Create(ctx, cm, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			_, err = cms.Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
		}
	}
	if err != nil {
		return "", fmt.Errorf("writing policy ConfigMap %s: %w", name, err)
	}
	return text, nil
}

// ownPolicy refuses to write a policy ConfigMap of another daemon. The
// instance's cache answers for its own (no round trip on an edit); one it
// does not hold (yet: it was just made) is read.
func (r *Runtime) ownPolicy(ctx context.Context, id string) error {
	if cm, err := r.policies.get(ctx, r, id); err == nil && cm != nil {
		return nil
	}
	cm, err := r.cs.CoreV1().ConfigMaps(r.cfg.Namespace).Get(ctx, objectName(id), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading policy ConfigMap %s: %w", objectName(id), err)
	}
	return r.owned("configmap", cm)
}

// ensurePolicy writes p only when the project has no ConfigMap yet: a
// restart must not overwrite a newer stored policy with an older one.
func (r *Runtime) ensurePolicy(ctx context.Context, id string, p shared.Policy) error {
	cm, err := r.cs.CoreV1().ConfigMaps(r.cfg.Namespace).Get(ctx, objectName(id), metav1.GetOptions{})
	if err == nil {
		return r.owned("configmap", cm)
	}
	if !apierrors.IsNotFound(err) {
		return fmt.Errorf("reading policy ConfigMap: %w", err)
	}
	_, err = r.writePolicy(ctx, id, p)
	return err
}

// appliedPoll is how often PutPolicy looks for the sidecar's confirmation.
const appliedPoll = 20 * time.Millisecond

// PutPolicy writes the policy and waits until the sidecar reports it in
// place (the applied annotation names its digest). socket is SocketPath's
// value for the project.
func (r *Runtime) PutPolicy(ctx context.Context, socket string, p shared.Policy) (shared.ApplyResult, error) {
	id, err := r.idOf(socket)
	if err != nil {
		return shared.ApplyResult{}, err
	}
	text, err := r.writePolicy(ctx, id, p)
	if err != nil {
		return shared.ApplyResult{}, err
	}
	want := shared.PolicyDigest(text)
	cms := r.cs.CoreV1().ConfigMaps(r.cfg.Namespace)
	t := time.NewTicker(appliedPoll)
	defer t.Stop()
	for {
		cm, err := cms.Get(ctx, objectName(id), metav1.GetOptions{})
		if err == nil && cm.Annotations[shared.KubeAppliedAnnotation] == want {
			var res shared.ApplyResult
			_ = json.Unmarshal([]byte(cm.Annotations[shared.KubeResultAnnotation]), &res)
			return res, nil
		}
		select {
		case <-ctx.Done():
			return shared.ApplyResult{}, fmt.Errorf("waiting for the sidecar to apply the policy: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// Status joins the policy state on the project's ConfigMap (mode, domains,
// whether the sidecar confirmed the stored policy, its last apply result)
// with the counters, sets and problems the sidecar last reported in its
// log. Both come from memory: the ConfigMap cache and the followed log; the
// API server is asked only while the cache does not show the stored policy
// confirmed (it may lag behind a confirmation PutPolicy saw). Without a
// current report from the sidecar the answer is an error matching
// ErrNoReport, as a socket that does not answer is on Docker.
func (r *Runtime) Status(ctx context.Context, socket string) (shared.Status, error) {
	id, err := r.idOf(socket)
	if err != nil {
		return shared.Status{}, err
	}
	cm, err := r.policies.get(ctx, r, id)
	if err != nil {
		return shared.Status{}, err
	}
	if cm == nil || !policyConfirmed(cm) {
		cm, err = r.cs.CoreV1().ConfigMaps(r.cfg.Namespace).Get(ctx, objectName(id), metav1.GetOptions{})
		if err != nil {
			return shared.Status{}, fmt.Errorf("reading policy ConfigMap: %w", err)
		}
	}
	rep, err := r.feedOf(id).report(r.now())
	if err != nil {
		return shared.Status{}, fmt.Errorf("project %s: %w: %v", id, ErrNoReport, err)
	}
	text := cm.Data[shared.KubePolicyKey]
	var p shared.Policy
	_ = json.Unmarshal([]byte(text), &p)
	st := rep
	st.Mode, st.Domains = p.Mode, p.Domains
	st.Ready = rep.Ready && policyConfirmed(cm)
	var res shared.ApplyResult
	if json.Unmarshal([]byte(cm.Annotations[shared.KubeResultAnnotation]), &res) == nil {
		st.LastApply = &res
		if res.Error != "" {
			st.Problems = append(st.Problems, "last policy apply failed: "+res.Error)
		}
	}
	if !policyConfirmed(cm) {
		st.Problems = append(st.Problems, "the sidecar has not confirmed the stored policy")
	}
	return st, nil
}

// policyConfirmed reports whether the sidecar confirmed the policy the
// ConfigMap holds.
func policyConfirmed(cm *corev1.ConfigMap) bool {
	text := cm.Data[shared.KubePolicyKey]
	return text != "" && cm.Annotations[shared.KubeAppliedAnnotation] == shared.PolicyDigest(text)
}
