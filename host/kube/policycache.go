package kube

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
)

// policyCache holds the instance's policy ConfigMaps as last seen, through
// one list and watch, so that Status (every metrics scrape) reads memory
// instead of asking the API server once per project.
type policyCache struct {
	once   sync.Once
	store  cache.Store
	synced cache.InformerSynced
	mu     sync.Mutex
	cancel context.CancelFunc
}

// start begins the list and watch on first use.
func (c *policyCache) start(r *Runtime) {
	c.once.Do(func() {
		cms := r.cs.CoreV1().ConfigMaps(r.cfg.Namespace)
		selector := LabelInstance + "=" + r.cfg.Instance
		lw := &cache.ListWatch{
			ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
				o.LabelSelector = selector
				return cms.List(ctx, o)
			},
			WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
				o.LabelSelector = selector
				return cms.Watch(ctx, o)
			},
		}
		store, ctrl := cache.NewInformerWithOptions(cache.InformerOptions{
			ListerWatcher: cache.ToListWatcherWithWatchListSemantics(lw, r.cs),
			ObjectType:    &corev1.ConfigMap{},
			Handler:       cache.ResourceEventHandlerFuncs{},
		})
		ctx, cancel := context.WithCancel(context.Background())
		c.mu.Lock()
		c.store, c.synced, c.cancel = store, ctrl.HasSynced, cancel
		c.mu.Unlock()
		go ctrl.RunWithContext(ctx)
	})
}

func (c *policyCache) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel != nil {
		c.cancel()
	}
}

// get returns the project's ConfigMap as last seen; nil when the cache
// does not hold it (yet).
func (c *policyCache) get(ctx context.Context, r *Runtime, id string) (*corev1.ConfigMap, error) {
	c.start(r)
	if !cache.WaitForCacheSync(ctx.Done(), c.synced) {
		return nil, fmt.Errorf("listing the policy ConfigMaps: %w", ctx.Err())
	}
	obj, ok, err := c.store.GetByKey(r.cfg.Namespace + "/" + objectName(id))
	if err != nil || !ok {
		return nil, err
	}
	cm, _ := obj.(*corev1.ConfigMap)
	return cm, nil
}
