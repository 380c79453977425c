package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/api/schema"
	"github.com/warden-sh/warden/host/daemon"
	"github.com/warden-sh/warden/host/metrics"
	"github.com/warden-sh/warden/shared"
)

// auditBound is the audit log's bound in these tests: small, so a test can
// pass it.
const auditBound = 30

// scrape reads GET /metrics over TCP with the token, as Prometheus does, and
// parses it with the Prometheus text parser.
func (w *world) scrape(t *testing.T) metrics.Families {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+w.addr+"/metrics", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+w.token())
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	fams, err := metrics.Parse(resp.Body)
	require.NoError(t, err)
	return fams
}

// metric is a series' value, 0 when the series is absent.
func metric(f metrics.Families, name, project string, labels ...string) float64 {
	want := map[string]string{"project": project}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	v, _ := f.Value(name, want)
	return v
}

// audit reads the whole audit log through the CLI, as JSON.
func (w *world) audit(t *testing.T, id string) []daemon.AuditRecord {
	t.Helper()
	var recs []daemon.AuditRecord
	require.NoError(t, json.Unmarshal([]byte(w.mustCLI("events", id, "--since", "1h", "--json")), &recs))
	return recs
}

func requireValidRecords(t *testing.T, s *jsonschema.Schema, raw string) {
	t.Helper()
	var list []json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(raw), &list))
	require.NotEmpty(t, list)
	for _, r := range list {
		require.NoError(t, schema.Validate(s, r))
	}
}

func find(recs []daemon.AuditRecord, kind shared.EventKind, match func(daemon.AuditRecord) bool) *daemon.AuditRecord {
	for i := range recs {
		if recs[i].Kind == kind && match(recs[i]) {
			return &recs[i]
		}
	}
	return nil
}

func TestDockerMetricsAndAuditLog(t *testing.T) {
	w := newWorld(t, "--audit-records", fmt.Sprint(auditBound))
	sch, err := schema.AuditRecord()
	require.NoError(t, err)
	id := w.createProject("restricted", "shared-a.example.net")
	shared4 := w.ip(zoneHosts["shared-a.example.net."])

	before := w.scrape(t)
	require.Equal(t, 1.0, metric(before, "warden_sidecar_up", id))
	require.Equal(t, 1.0, metric(before, "warden_sidecar_ready", id))
	require.Equal(t, 1.0, metric(before, "warden_project_info", id, "mode", "restricted"))

	// The agent resolves and connects: allowed, refused by name, refused
	// by address, refused at the host.
	require.True(t, w.probe(id, "resolve", "shared-a.example.net").OK)
	require.Equal(t, http.StatusOK, w.probe(id, "http", "http://"+shared4+"/", "-host", "shared-a.example.net").Status)
	require.False(t, w.probe(id, "http", "http://"+shared4+"/", "-host", "shared-b.example.org").OK, "another name on the allowed address")
	require.Equal(t, "REFUSED", w.probe(id, "resolve", "blocked.example").Rcode)
	require.False(t, w.probe(id, "tcp", w.addrOf(15, 7)).OK)
	w.mustCLI("hostports", "none", id)
	require.False(t, w.probe(id, "http", w.hostURL).OK)

	moved := map[string][]string{
		"warden_dns_queries_total/allowed":         {"warden_dns_queries_total", "decision", "allowed"},
		"warden_dns_queries_total/refused":         {"warden_dns_queries_total", "decision", "refused"},
		"warden_connections_refused_total/address": {"warden_connections_refused_total", "reason", "address"},
		"warden_connections_refused_total/name":    {"warden_connections_refused_total", "reason", "name"},
		"warden_connections_refused_total/host":    {"warden_connections_refused_total", "reason", "host_port"},
		"warden_names_first_contact_total":         {"warden_names_first_contact_total"},
		"warden_policy_apply_duration_seconds":     {"warden_policy_apply_duration_seconds"},
	}
	var after metrics.Families
	require.Eventually(t, func() bool {
		after = w.scrape(t)
		for _, m := range moved {
			if metric(after, m[0], id, m[1:]...) <= metric(before, m[0], id, m[1:]...) {
				return false
			}
		}
		return true
	}, 10*time.Second, 200*time.Millisecond, "some series did not move")
	for key, m := range moved {
		t.Logf("%s: %v -> %v", key, metric(before, m[0], id, m[1:]...), metric(after, m[0], id, m[1:]...))
	}

	// The audit log holds the first contact and every refusal, each a
	// valid record. It is stored in batches: wait for the last one.
	var recs []daemon.AuditRecord
	require.Eventually(t, func() bool {
		recs = w.audit(t, id)
		return find(recs, shared.EventConnRejected, func(r daemon.AuditRecord) bool { return r.Reason == shared.ReasonHostPort }) != nil
	}, 10*time.Second, 200*time.Millisecond, "a refused host port says so")
	requireValidRecords(t, sch, w.mustCLI("events", id, "--since", "1h", "--json"))
	first := find(recs, shared.EventDNSAllowed, func(r daemon.AuditRecord) bool { return r.Name == "shared-a.example.net" })
	require.NotNil(t, first, "first contact in %+v", recs)
	require.Equal(t, []string{shared4}, first.Addresses)
	require.Equal(t, id, first.Project)
	require.NotNil(t, find(recs, shared.EventDNSRefused, func(r daemon.AuditRecord) bool { return r.Name == "blocked.example" }))
	require.NotNil(t, find(recs, shared.EventNameRefused, func(r daemon.AuditRecord) bool { return r.Name == "shared-b.example.org" }))
	require.NotNil(t, find(recs, shared.EventConnRejected, func(r daemon.AuditRecord) bool { return r.Address == w.ip(15) && r.Port == 7 }))
	require.Len(t, slicesFilter(recs, func(r daemon.AuditRecord) bool {
		return r.Kind == shared.EventDNSAllowed && r.Name == "shared-a.example.net"
	}), 1,
		"a name is a first contact once")

	// --follow streams new records.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	follow := exec.CommandContext(ctx, bins.warden, "--data", w.data, "events", id, "--follow", "--json", "--limit", "1")
	follow.Env = append(os.Environ(), "WARDEN_ADDR=", "WARDEN_TOKEN=")
	out, err := follow.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, follow.Start())
	defer func() { cancel(); _ = follow.Wait() }()
	require.Equal(t, "REFUSED", w.probe(id, "resolve", "followed.blocked.example").Rcode)
	sc := bufio.NewScanner(out)
	streamed := false
	for sc.Scan() {
		require.NoError(t, schema.Validate(sch, sc.Bytes()))
		if strings.Contains(sc.Text(), "followed.blocked.example") {
			streamed = true
			break
		}
	}
	require.True(t, streamed, "the followed stream never showed the new refusal")

	// Past its bound the log drops its oldest records, and counts them.
	w.mustCLI("exec", id, "--", "sh", "-c", "for i in $(seq 1 40); do probe resolve n$i.blocked.example >/dev/null; done")
	var page daemon.AuditPage
	require.Eventually(t, func() bool {
		status, body := w.api(t, http.MethodGet, "/projects/"+id+"/audit?tail=1", nil)
		require.Equal(t, http.StatusOK, status, string(body))
		require.NoError(t, json.Unmarshal(body, &page))
		return len(page.Records) == 1 && page.Records[0].Name == "n40.blocked.example"
	}, 10*time.Second, 200*time.Millisecond, "the last refusal was not stored")
	kept := w.audit(t, id)
	require.Len(t, kept, auditBound)
	require.Equal(t, auditBound, page.Bound)
	require.Equal(t, kept[len(kept)-1].Seq-uint64(auditBound), page.Dropped, "every record below the bound was dropped and counted")
	require.Equal(t, "n11.blocked.example", kept[0].Name, "the oldest went first")
	require.Equal(t, float64(page.Dropped), metric(w.scrape(t), "warden_audit_records_dropped_total", id))
	var paged []daemon.AuditRecord
	for after := uint64(0); ; {
		var p daemon.AuditPage
		status, body := w.api(t, http.MethodGet, fmt.Sprintf("/projects/%s/audit?after=%d&limit=7", id, after), nil)
		require.Equal(t, http.StatusOK, status, string(body))
		require.NoError(t, json.Unmarshal(body, &p))
		paged = append(paged, p.Records...)
		if !p.More {
			break
		}
		after = p.Next
	}
	require.Equal(t, kept, paged, "pages of 7 add up to the whole log")

	// kill -9 of the daemon loses nothing stored, and the sidecar's replay
	// adds nothing twice.
	w.killDaemon()
	w.startDaemon()
	require.Eventually(t, func() bool {
		out, _, err := w.cli("status", id, "--json")
		return err == nil && strings.Contains(out, `"ready": true`)
	}, readyWithin, 250*time.Millisecond)
	again := w.audit(t, id)
	require.Equal(t, kept, again[:len(kept)], "the log survived kill -9")
	require.Len(t, again, len(kept), "nothing was stored twice after the restart: %+v", again[len(kept):])
	requireValidRecords(t, sch, w.mustCLI("events", id, "--since", "1h", "--json"))
	status, body := w.api(t, http.MethodGet, "/projects/"+id+"/audit?tail=1", nil)
	require.Equal(t, http.StatusOK, status)
	var afterKill daemon.AuditPage
	require.NoError(t, json.Unmarshal(body, &afterKill))
	require.Equal(t, page.Dropped, afterKill.Dropped, "the drop count survived too")
}

func slicesFilter[T any](s []T, keep func(T) bool) []T {
	var out []T
	for _, v := range s {
		if keep(v) {
			out = append(out, v)
		}
	}
	return out
}
