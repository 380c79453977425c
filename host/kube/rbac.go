package kube

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ensureAccess makes the project's service account and the Role that lets
// it read and report on its own ConfigMap and nothing else.
func (r *Runtime) ensureAccess(ctx context.Context, id string) error {
	name, ns := objectName(id), r.cfg.Namespace
	meta := metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{LabelProject: id, LabelInstance: r.cfg.Instance}}
	no := false
	sa := &corev1.ServiceAccount{ObjectMeta: meta, AutomountServiceAccountToken: &no}
	if _, err := r.cs.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{}); apierrors.IsAlreadyExists(err) {
		// The identity the Role binds: another daemon's would hand this
		// project's policy to that daemon's pod.
		cur, err := r.cs.CoreV1().ServiceAccounts(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("reading service account %s: %w", name, err)
		}
		if err := r.owned("serviceaccount", cur); err != nil {
			return err
		}
	} else if err != nil {
		return fmt.Errorf("creating service account %s: %w", name, err)
	}
	role := &rbacv1.Role{ObjectMeta: meta, Rules: []rbacv1.PolicyRule{{
		APIGroups:     []string{""},
		Resources:     []string{"configmaps"},
		ResourceNames: []string{name},
		Verbs:         []string{"get", "list", "watch", "patch"},
	}}}
	if _, err := r.cs.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating role %s: %w", name, err)
	}
	rb := &rbacv1.RoleBinding{ObjectMeta: meta,
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: name},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: name, Namespace: ns}},
	}
	if _, err := r.cs.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating role binding %s: %w", name, err)
	}
	return nil
}

// removeAccess deletes what ensureAccess made; what is gone already is fine.
func (r *Runtime) removeAccess(ctx context.Context, id string) error {
	name, ns := objectName(id), r.cfg.Namespace
	rbs, roles, sas := r.cs.RbacV1().RoleBindings(ns), r.cs.RbacV1().Roles(ns), r.cs.CoreV1().ServiceAccounts(ns)
	if _, err := deleteOwned(ctx, r, "rolebinding", name, rbs.Get, rbs.Delete, metav1.DeleteOptions{}); err != nil {
		return err
	}
	if _, err := deleteOwned(ctx, r, "role", name, roles.Get, roles.Delete, metav1.DeleteOptions{}); err != nil {
		return err
	}
	_, err := deleteOwned(ctx, r, "serviceaccount", name, sas.Get, sas.Delete, metav1.DeleteOptions{})
	return err
}
