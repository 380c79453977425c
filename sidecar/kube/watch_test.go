package kube

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

// fakeEngine records what it was asked to apply.
type fakeEngine struct {
	mu      sync.Mutex
	applied []shared.Mode
	domains [][]string
}

func (f *fakeEngine) Apply(_ context.Context, p shared.ValidPolicy) (shared.ApplyResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied = append(f.applied, p.Mode)
	f.domains = append(f.domains, p.Policy().Domains)
	return shared.ApplyResult{Mode: p.Mode}, nil
}

func (f *fakeEngine) last() (shared.Mode, []string, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.applied) == 0 {
		return "", nil, 0
	}
	return f.applied[len(f.applied)-1], f.domains[len(f.domains)-1], len(f.applied)
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 10*time.Second, 10*time.Millisecond, "waiting for %s", what)
}

func TestWatcherFollowsItsConfigMap(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cs := fake.NewClientset()
	eng := &fakeEngine{}
	var readyOnce sync.WaitGroup
	readyOnce.Add(1)
	readies := 0
	w := &Watcher{Client: cs, Namespace: "ns", Name: "warden-p", Engine: eng,
		Ready: func() { readies++; readyOnce.Done() }}
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()

	cms := cs.CoreV1().ConfigMaps("ns")
	policy := `{"mode":"restricted","domains":["example.com"]}`
	// Another ConfigMap in the namespace is not this project's policy.
	if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "other"},
		Data: map[string]string{shared.KubePolicyKey: `{"mode":"full","domains":[]}`}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "warden-p"},
		Data: map[string]string{shared.KubePolicyKey: policy}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	readyOnce.Wait()
	mode, domains, _ := eng.last()
	if mode != shared.ModeRestricted || len(domains) != 1 || domains[0] != "example.com" {
		t.Fatalf("applied %s %v; want restricted [example.com]", mode, domains)
	}
	eventually(t, "the applied annotation", func() bool {
		cm, err := cms.Get(ctx, "warden-p", metav1.GetOptions{})
		return err == nil && cm.Annotations[shared.KubeAppliedAnnotation] == shared.PolicyDigest(policy)
	})

	// A policy that does not parse is refused; the last one stays.
	_, _, n := eng.last()
	bad, _ := cms.Get(ctx, "warden-p", metav1.GetOptions{})
	bad.Data[shared.KubePolicyKey] = `{"mode":"wide-open"}`
	if _, err := cms.Update(ctx, bad, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the refusal reported", func() bool {
		cm, err := cms.Get(ctx, "warden-p", metav1.GetOptions{})
		return err == nil && cm.Annotations[shared.KubeResultAnnotation] != "" &&
			cm.Annotations[shared.KubeResultAnnotation] != `{"mode":"restricted","domains":null,"durationMs":0,"appliedAt":"0001-01-01T00:00:00Z"}` &&
			strings.Contains(cm.Annotations[shared.KubeResultAnnotation], "wide-open")
	})
	if _, _, m := eng.last(); m != n {
		t.Fatalf("a bad policy was applied (%d applies, want %d)", m, n)
	}

	// A live edit is applied.
	good, _ := cms.Get(ctx, "warden-p", metav1.GetOptions{})
	good.Data[shared.KubePolicyKey] = `{"mode":"full","domains":["example.com"]}`
	if _, err := cms.Update(ctx, good, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "full applied", func() bool { m, _, _ := eng.last(); return m == shared.ModeFull })

	// Deleting the policy closes the namespace.
	if err := cms.Delete(ctx, "warden-p", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "none applied", func() bool { m, _, _ := eng.last(); return m == shared.ModeNone })
	if readies != 1 {
		t.Fatalf("Ready ran %d times; want once", readies)
	}
	cancel()
	<-done
}

func TestParseRef(t *testing.T) {
	for _, tc := range []struct {
		ref     string
		ns, nm  string
		wantErr bool
	}{
		{"warden/warden-abc", "warden", "warden-abc", false},
		{"warden", "", "", true},
		{"/x", "", "", true},
		{"x/", "", "", true},
		{"a/b/c", "", "", true},
	} {
		t.Run(tc.ref, func(t *testing.T) {
			ns, nm, err := ParseRef(tc.ref)
			if (err != nil) != tc.wantErr || ns != tc.ns || nm != tc.nm {
				t.Fatalf("ParseRef(%q) = %q, %q, %v", tc.ref, ns, nm, err)
			}
		})
	}
}
