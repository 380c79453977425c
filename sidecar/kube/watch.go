package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/warden-sh/warden/shared"
)

// Applier is what the Watcher uses of the sidecar's engine.
type Applier interface {
	Apply(ctx context.Context, p shared.ValidPolicy) (shared.ApplyResult, error)
}

// Watcher enforces the policy of one ConfigMap and reports back onto it.
type Watcher struct {
	Client    kubernetes.Interface
	Namespace string
	Name      string
	Engine    Applier
	// Ready is called once, after the first policy read from the ConfigMap
	// is fully in place.
	Ready func()
	Log   *slog.Logger

	// applied is the policy text in force; ready is set once Ready ran.
	applied string
	ready   bool
}

// patchTimeout bounds one status write.
const patchTimeout = 10 * time.Second

// Run watches the ConfigMap until ctx ends. Handlers run one at a time.
func (w *Watcher) Run(ctx context.Context) error {
	if w.Log == nil {
		w.Log = slog.New(slog.DiscardHandler)
	}
	w.Log = w.Log.With("component", "kube", "configmap", w.Namespace+"/"+w.Name)
	// Listing and watching by name is what the Role's resourceNames allow.
	byName := fields.OneTermEqualSelector("metadata.name", w.Name).String()
	cms := w.Client.CoreV1().ConfigMaps(w.Namespace)
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = byName
			return cms.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = byName
			return cms.Watch(ctx, o)
		},
	}
	_, ctrl := cache.NewInformerWithOptions(cache.InformerOptions{
		ListerWatcher: cache.ToListWatcherWithWatchListSemantics(lw, w.Client),
		ObjectType:    &corev1.ConfigMap{},
		Handler: cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { w.seen(ctx, obj) },
			UpdateFunc: func(_, obj any) { w.seen(ctx, obj) },
			DeleteFunc: func(any) { w.deleted(ctx) },
		},
	})
	w.Log.Info("watching policy")
	ctrl.RunWithContext(ctx)
	return nil
}

func (w *Watcher) seen(ctx context.Context, obj any) {
	cm, ok := obj.(*corev1.ConfigMap)
	if !ok || cm.Name != w.Name {
		return
	}
	text := cm.Data[shared.KubePolicyKey]
	digest := shared.PolicyDigest(text)
	if text == w.applied {
		// Our own status write, or a resync: report again only if the
		// ConfigMap lost the report.
		if cm.Annotations[shared.KubeAppliedAnnotation] != digest {
			w.report(ctx, digest, nil)
		}
		return
	}
	p, err := parsePolicy(text)
	if err != nil {
		w.Log.Error("refusing policy; the last one stays in force", "err", err)
		w.report(ctx, "", &shared.ApplyResult{Error: err.Error(), AppliedAt: time.Now()})
		return
	}
	res, err := w.Engine.Apply(ctx, p)
	if err != nil {
		w.Log.Error("applying policy", "err", err)
		w.report(ctx, "", &res)
		return
	}
	w.applied = text
	if !w.ready {
		w.ready = true
		if w.Ready != nil {
			w.Ready()
		}
	}
	w.report(ctx, digest, &res)
}

// deleted closes the namespace: without its policy object a project has no
// policy, and a sidecar without one stays closed.
func (w *Watcher) deleted(ctx context.Context) {
	w.Log.Warn("policy ConfigMap deleted; closing")
	none, _ := shared.Policy{Mode: shared.ModeNone, Domains: []string{}}.Validate()
	if _, err := w.Engine.Apply(ctx, none); err != nil {
		w.Log.Error("closing after the policy was deleted", "err", err)
	}
	w.applied = ""
}

// report writes the digest of the policy in force (none when empty) and the
// apply result onto the ConfigMap's annotations.
func (w *Watcher) report(ctx context.Context, digest string, res *shared.ApplyResult) {
	ann := map[string]any{}
	if digest != "" {
		ann[shared.KubeAppliedAnnotation] = digest
	}
	if res != nil {
		b, err := json.Marshal(res)
		if err == nil {
			ann[shared.KubeResultAnnotation] = string(b)
		}
	}
	if len(ann) == 0 {
		return
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": ann}})
	if err != nil {
		return
	}
	pctx, cancel := context.WithTimeout(ctx, patchTimeout)
	defer cancel()
	_, err = w.Client.CoreV1().ConfigMaps(w.Namespace).Patch(pctx, w.Name, types.MergePatchType, patch, metav1.PatchOptions{})
	if err != nil {
		w.Log.Warn("reporting applied policy", "err", err)
	}
}

// parsePolicy reads the ConfigMap's policy text strictly.
func parsePolicy(text string) (shared.ValidPolicy, error) {
	if text == "" {
		return shared.ValidPolicy{}, fmt.Errorf("the ConfigMap has no %q", shared.KubePolicyKey)
	}
	var p shared.Policy
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return shared.ValidPolicy{}, fmt.Errorf("reading %s: %w; expect {\"mode\": \"restricted\", \"domains\": [\"github.com\"]}", shared.KubePolicyKey, err)
	}
	if p.Domains == nil {
		p.Domains = []string{}
	}
	return p.Validate()
}
