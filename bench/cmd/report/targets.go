package main

import "fmt"

// target is what a figure is held to. check gets the figure and every
// figure of the run by name, for targets relative to another figure.
type target struct {
	text  string
	check func(f figure, all map[string]figure) (met bool, known bool)
}

var targets = map[string]target{
	"dns_forward_qps": {"≥ 1.0× dnsmasq", func(f figure, _ map[string]figure) (bool, bool) {
		if f.PeerValue == nil {
			return false, false
		}
		return f.Value >= *f.PeerValue, true
	}},
	"dns_refused_qps": {"≥ 1.5× dns_forward_qps", func(f figure, all map[string]figure) (bool, bool) {
		fwd, ok := all["dns_forward_qps"]
		if !ok {
			return false, false
		}
		return f.Value >= 1.5*fwd.Value, true
	}},
	"proxy_rps": {"≥ 0.8× nginx", func(f figure, _ map[string]figure) (bool, bool) {
		if f.PeerValue == nil {
			return false, false
		}
		return f.Value >= 0.8**f.PeerValue, true
	}},
	"proxy_p99_ms": {"≤ 1.5× nginx", func(f figure, _ map[string]figure) (bool, bool) {
		if f.PeerValue == nil {
			return false, false
		}
		return f.Value <= 1.5**f.PeerValue, true
	}},
	"proxy_ws_kb_per_conn":   below(40, "KB"),
	"edit_enforce_p50_ms_50": below(100, "ms"),
	"edit_enforce_p99_ms_50": below(250, "ms"),
	"project_start_ms": {"sidecar adds < 300 ms over docker run", func(f figure, _ map[string]figure) (bool, bool) {
		if f.PeerValue == nil {
			return false, false
		}
		return f.Value-*f.PeerValue < 300, true
	}},
	"egress_conn_rate": {"≥ 1.0× nginx ssl_preread", func(f figure, _ map[string]figure) (bool, bool) {
		if f.PeerValue == nil {
			return false, false
		}
		return f.Value >= *f.PeerValue, true
	}},
	"egress_bulk_mbps": {"≥ 0.9× direct", func(f figure, _ map[string]figure) (bool, bool) {
		if f.PeerValue == nil {
			return false, false
		}
		return f.Value >= 0.9**f.PeerValue, true
	}},
	"egress_setup_p99_ms": below(1, "ms"),
	"egress_kb_per_conn":  below(32, "KB"),
	"dns_latency_p99_ms":  below(1, "ms"),
	"policy_apply_ms":     below(10, "ms"),
	"sidecar_idle_rss_mb": below(15, "MB"),
	// The audit log's first contacts may cost the DNS path at most 5%.
	"audit_dns_forward_qps_change_pct": below(5, "%"),
	"metrics_scrape_ms":                below(50, "ms"),
	"k8s_edit_enforce_p50_ms_50":       below(100, "ms"),
	"k8s_edit_enforce_p99_ms_50":       below(250, "ms"),
	"k8s_metrics_scrape_ms_50":         below(50, "ms"),
	"k8s_project_start_ms": {"sidecar adds < 1000 ms over a plain pod", func(f figure, _ map[string]figure) (bool, bool) {
		if f.PeerValue == nil {
			return false, false
		}
		return f.Value-*f.PeerValue < 1000, true
	}},
}

func below(limit float64, unit string) target {
	return target{fmt.Sprintf("< %g %s", limit, unit), func(f figure, _ map[string]figure) (bool, bool) {
		return f.Value < limit, true
	}}
}
