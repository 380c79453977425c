package kube

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Daemons sharing a namespace tell their objects apart by the instance
// label: each lists only its own, and never adopts, changes or deletes an
// object that carries another's (or none). Project ids are random, so two
// daemons meeting on one name is unlikely, but when they do, the second
// one's start fails rather than take the first one's pod or policy.

// owned refuses an object that is not this daemon's.
func (r *Runtime) owned(kind string, m metav1.Object) error {
	if got := m.GetLabels()[LabelInstance]; got != r.cfg.Instance {
		return fmt.Errorf("%s %s/%s belongs to another Warden daemon (instance %q; this one is %q), which Warden leaves alone; "+
			"if that daemon is gone, delete the object (kubectl -n %s delete %s %s)",
			kind, m.GetNamespace(), m.GetName(), got, r.cfg.Instance, m.GetNamespace(), kind, m.GetName())
	}
	return nil
}

// deleteOwned deletes the named object when it is this daemon's: get reads
// it, del deletes it given a UID precondition, so that an object replaced
// meanwhile is not deleted in its place. What is gone, or another daemon's,
// is left and reported as done.
func deleteOwned[T metav1.Object](ctx context.Context, r *Runtime, kind, name string,
	get func(context.Context, string, metav1.GetOptions) (T, error),
	del func(context.Context, string, metav1.DeleteOptions) error, opts metav1.DeleteOptions) (deleted bool, err error) {
	obj, err := get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading %s %s: %w", kind, name, err)
	}
	if r.owned(kind, obj) != nil {
		r.log.Warn("leaving another daemon's object", "kind", kind, "name", name, "instance", obj.GetLabels()[LabelInstance])
		return false, nil
	}
	uid := obj.GetUID()
	opts.Preconditions = &metav1.Preconditions{UID: &uid}
	err = del(ctx, name, opts)
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return false, nil // gone, or replaced by another object meanwhile
	}
	if err != nil {
		return false, fmt.Errorf("deleting %s %s: %w", kind, name, err)
	}
	return true, nil
}
