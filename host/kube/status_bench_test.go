package kube

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/warden-sh/warden/shared"
)

// BenchmarkStatus50 is the sidecar part of one metrics scrape at 50
// running projects: 50 Status calls, each from memory (the ConfigMap cache
// and the followed log's last report).
func BenchmarkStatus50(b *testing.B) {
	policy := `{"mode":"restricted","domains":["allowed.test"]}`
	var objs []runtime.Object
	var ids []string
	for i := range 50 {
		id := fmt.Sprintf("%012x", i+1)
		ids = append(ids, id)
		objs = append(objs, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: objectName(id), Namespace: "ns",
				Labels:      map[string]string{LabelProject: id, LabelInstance: "default"},
				Annotations: map[string]string{shared.KubeAppliedAnnotation: shared.PolicyDigest(policy)}},
			Data: map[string]string{shared.KubePolicyKey: policy},
		})
	}
	r, err := NewWithClient(Config{Namespace: "ns", SidecarImage: "s", PodAPIServer: "https://192.0.2.2:6443",
		Upstreams: []string{"192.0.2.53:53"}, HostGateway: netip.MustParseAddr("192.0.2.2")}, fake.NewClientset(objs...), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	for _, id := range ids {
		f := r.feedOf(id)
		f.claim()
		f.setLive(true)
		f.take(time.Now(), shared.KubeReport{Warden: 1, Kind: shared.KubeReportStatus, Boot: "0123456789abcdef", Seq: 1,
			Status: &shared.Status{Ready: true, StartedAt: time.Now()}}, time.Now())
	}
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		for _, id := range ids {
			if _, err := r.Status(ctx, r.SocketPath(id)); err != nil {
				b.Fatal(err)
			}
		}
	}
}
