package shared

import (
	"crypto/sha256"
	"encoding/hex"
)

// On the Kubernetes backend a project's policy lives in a ConfigMap that the
// daemon writes and the project's sidecar watches. These name its parts.
const (
	// KubePolicyKey is the ConfigMap's data key holding the Policy as JSON.
	KubePolicyKey = "policy.json"
	// KubeAppliedAnnotation is set by the sidecar to PolicyDigest of the
	// policy it enforces, once it is fully in place.
	KubeAppliedAnnotation = "warden.sh/applied"
	// KubeResultAnnotation is the sidecar's last ApplyResult as JSON.
	KubeResultAnnotation = "warden.sh/apply-result"
)

// PolicyDigest names one policy text, so the daemon can tell which version a
// sidecar confirmed.
func PolicyDigest(policyJSON string) string {
	sum := sha256.Sum256([]byte(policyJSON))
	return hex.EncodeToString(sum[:12])
}
