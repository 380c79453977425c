package kube

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/warden-sh/warden/sidecar/sockmark"
)

// Default paths of the projected service-account volume in the sidecar.
const (
	DefaultTokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token"
	DefaultCAFile    = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
)

// ClientConfig says how the sidecar reaches the API server.
type ClientConfig struct {
	// Server is the API server's URL as seen from the pod, e.g.
	// https://192.0.2.2:6443.
	Server string
	// TokenFile is re-read as the kubelet rotates it.
	TokenFile string
	CAFile    string
	// Mark is set on every connection (SO_MARK) so the firewall lets it
	// pass; 0 leaves them unmarked.
	Mark uint32
}

// NewClient returns a clientset for cfg. Nothing is sent until it is used.
func NewClient(cfg ClientConfig) (kubernetes.Interface, error) {
	u, err := url.Parse(cfg.Server)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("bad API server URL %q; expect https://host:port", cfg.Server)
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second, Control: sockmark.Control(cfg.Mark)}
	rc := &rest.Config{
		Host:            cfg.Server,
		BearerTokenFile: cfg.TokenFile,
		TLSClientConfig: rest.TLSClientConfig{CAFile: cfg.CAFile},
		Dial:            dialer.DialContext,
		UserAgent:       "warden-sidecar",
		Timeout:         0, // watches are long; requests carry their own contexts
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("building the API client: %w", err)
	}
	return cs, nil
}

// ParseRef splits "namespace/name".
func ParseRef(ref string) (namespace, name string, err error) {
	namespace, name, ok := strings.Cut(ref, "/")
	if !ok || namespace == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("bad ConfigMap %q; expect NAMESPACE/NAME such as warden/warden-0123456789ab", ref)
	}
	return namespace, name, nil
}
