package kube

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/warden-sh/warden/shared"
)

// A project whose workspace is a PersistentVolumeClaim (pvc:NAME) gets the
// claim's volume at /workspace: what the agent writes there lands on the
// volume. A claim that does not exist is refused at start, by name, before
// anything is made, so nothing waits for it.
func TestKubeClaimWorkspace(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	volume := e.claim(t, "web-ws")

	d := e.openDaemon(t, t.TempDir())
	spec := testSpec("on-a-claim", "pvc:web-ws", shared.ModeRestricted, "allowed.test")
	p := e.startProject(t, ctx, d, spec)
	out := e.exec(t, p.ID, "agent", "sh", "-c", "echo written-by-the-agent > /workspace/note && cat /workspace/note")
	require.Equal(t, "written-by-the-agent", strings.TrimSpace(out))
	b, err := os.ReadFile(filepath.Join(volume, "note"))
	require.NoError(t, err, "the agent's file is not on the claim's volume")
	require.Equal(t, "written-by-the-agent\n", string(b))
	require.True(t, e.reach(t, p.ID, "allowed.test").OK, "the policy holds as with a folder")
	require.False(t, e.reach(t, p.ID, "other.test").OK)

	spec.Name, spec.Workspace = "on-no-claim", "pvc:no-such-claim"
	q, err := d.Create(ctx, spec)
	require.NoError(t, err)
	_, _, err = d.Start(ctx, q.ID)
	require.ErrorContains(t, err, "PersistentVolumeClaim "+e.ns+"/no-such-claim does not exist")
	// Refused before anything was made, so nothing waited for the claim.
	_, err = e.cs.CoreV1().Pods(e.ns).Get(ctx, "warden-"+q.ID, metav1.GetOptions{})
	require.True(t, apierrors.IsNotFound(err), "a pod was made for a missing claim: %v", err)
}

// claim makes a PersistentVolumeClaim name in e's namespace, bound to a
// volume that is a folder on the node (returned), as a cluster's storage
// would provide one; both go when the test ends.
func (e *env) claim(t *testing.T, name string) string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o777)) // the agent's user writes there
	pvName := "warden-test-" + randHex(4)
	size := resource.MustParse("1Gi")
	class := "warden-test-manual"
	dirType := corev1.HostPathDirectory
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: pvName},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: size},
			AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			StorageClassName:              class,
			PersistentVolumeSource:        corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: dir, Type: &dirType}},
			ClaimRef:                      &corev1.ObjectReference{Namespace: e.ns, Name: name},
		},
	}
	_, err := e.cs.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{})
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = e.cs.CoreV1().PersistentVolumes().Delete(context.Background(), pvName, metav1.DeleteOptions{})
	})
	pvc := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: e.ns},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			StorageClassName: &class,
			VolumeName:       pvName,
			Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: size}},
		},
	}
	_, err = e.cs.CoreV1().PersistentVolumeClaims(e.ns).Create(ctx, pvc, metav1.CreateOptions{})
	require.NoError(t, err)
	return dir
}
