package kube

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/warden-sh/warden/host/runtime"
	"github.com/warden-sh/warden/shared"
)

// othersObjects puts a project's objects of another daemon (instance
// "other") into the fake cluster, as that daemon made them.
func othersObjects(t *testing.T, cs *fake.Clientset, id string) {
	t.Helper()
	ctx := context.Background()
	meta := metav1.ObjectMeta{Name: objectName(id), Namespace: "ns", Labels: map[string]string{LabelProject: id, LabelInstance: "other"}}
	policy, _ := policyText(shared.Policy{Mode: shared.ModeRestricted, Domains: []string{"theirs.example"}})
	for _, create := range []func() error{
		func() error {
			_, err := cs.CoreV1().Pods("ns").Create(ctx, &corev1.Pod{ObjectMeta: meta, Status: corev1.PodStatus{Phase: corev1.PodRunning}}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := cs.CoreV1().ConfigMaps("ns").Create(ctx, &corev1.ConfigMap{ObjectMeta: meta, Data: map[string]string{shared.KubePolicyKey: policy}}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := cs.CoreV1().ServiceAccounts("ns").Create(ctx, &corev1.ServiceAccount{ObjectMeta: meta}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := cs.RbacV1().Roles("ns").Create(ctx, &rbacv1.Role{ObjectMeta: meta}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := cs.RbacV1().RoleBindings("ns").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: meta}, metav1.CreateOptions{})
			return err
		},
	} {
		if err := create(); err != nil {
			t.Fatal(err)
		}
	}
}

// A daemon leaves alone the objects of another daemon in its namespace,
// even under its own project's name: it does not list, start, write the
// policy of, report on, stop or delete them.
func TestAnotherDaemonsObjectsAreLeftAlone(t *testing.T) {
	r, cs := testRuntime(t)
	ctx := context.Background()
	p := testProject()
	othersObjects(t, cs, p.ID)

	list, err := r.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 0 {
		t.Errorf("List shows another daemon's pods: %v", list)
	}
	st, err := r.State(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Sidecar.Status != runtime.StatusMissing || st.Agent.Status != runtime.StatusMissing {
		t.Errorf("State reports another daemon's pod as this project's: %+v", st)
	}
	err = r.Start(ctx, p)
	if err == nil || !strings.Contains(err.Error(), `belongs to another Warden daemon (instance "other"; this one is "default")`) {
		t.Errorf("Start over another daemon's objects: %v; want a refusal naming both instances", err)
	}
	err = r.WritePolicy(p.ID, shared.Policy{Mode: shared.ModeFull})
	if err == nil || !strings.Contains(err.Error(), "configmap ns/warden-"+p.ID+" belongs to another Warden daemon") {
		t.Errorf("WritePolicy over another daemon's ConfigMap: %v; want a refusal", err)
	}
	if err := r.Stop(ctx, p.ID); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if err := r.Remove(ctx, p.ID); err != nil {
		t.Errorf("Remove: %v", err)
	}

	if _, err := cs.CoreV1().Pods("ns").Get(ctx, objectName(p.ID), metav1.GetOptions{}); err != nil {
		t.Errorf("the other daemon's pod: %v", err)
	}
	cm, err := cs.CoreV1().ConfigMaps("ns").Get(ctx, objectName(p.ID), metav1.GetOptions{})
	if err != nil || !strings.Contains(cm.Data[shared.KubePolicyKey], "theirs.example") {
		t.Errorf("the other daemon's policy changed or went: %v %v", cm, err)
	}
	if _, err := cs.CoreV1().ServiceAccounts("ns").Get(ctx, objectName(p.ID), metav1.GetOptions{}); err != nil {
		t.Errorf("the other daemon's service account: %v", err)
	}
	if _, err := cs.RbacV1().Roles("ns").Get(ctx, objectName(p.ID), metav1.GetOptions{}); err != nil {
		t.Errorf("the other daemon's role: %v", err)
	}
	if _, err := cs.RbacV1().RoleBindings("ns").Get(ctx, objectName(p.ID), metav1.GetOptions{}); err != nil {
		t.Errorf("the other daemon's role binding: %v", err)
	}
}

// Its own objects a daemon does remove.
func TestRemoveDeletesItsOwnObjects(t *testing.T) {
	r, cs := testRuntime(t)
	ctx := context.Background()
	p := testProject()
	if err := r.ensureAccess(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if err := r.ensurePolicy(ctx, p.ID, p.Policy()); err != nil {
		t.Fatal(err)
	}
	if err := r.Remove(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if cms, _ := cs.CoreV1().ConfigMaps("ns").List(ctx, metav1.ListOptions{}); len(cms.Items) != 0 {
		t.Errorf("ConfigMaps left: %d", len(cms.Items))
	}
	if sas, _ := cs.CoreV1().ServiceAccounts("ns").List(ctx, metav1.ListOptions{}); len(sas.Items) != 0 {
		t.Errorf("service accounts left: %d", len(sas.Items))
	}
	if roles, _ := cs.RbacV1().Roles("ns").List(ctx, metav1.ListOptions{}); len(roles.Items) != 0 {
		t.Errorf("roles left: %d", len(roles.Items))
	}
	if rbs, _ := cs.RbacV1().RoleBindings("ns").List(ctx, metav1.ListOptions{}); len(rbs.Items) != 0 {
		t.Errorf("role bindings left: %d", len(rbs.Items))
	}
}

func TestCheckInstance(t *testing.T) {
	for _, ok := range []string{"default", "a", "dev-1", "0123456789ab", strings.Repeat("a", 63)} {
		if err := CheckInstance(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-a", "a-", "A", "a_b", "a.b", strings.Repeat("a", 64), "a b"} {
		if err := CheckInstance(bad); err == nil || !strings.Contains(err.Error(), "expect 1 to 63") {
			t.Errorf("%q accepted or unclear: %v", bad, err)
		}
	}
}
