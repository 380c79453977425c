package ui

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/test/browser"
)

// cspAPI stands in for the daemon behind the project page: one project,
// whose previews' policy switch the page shows and edits.
type cspAPI struct {
	mu      sync.Mutex
	off     bool
	patches []string
}

func (f *cspAPI) project() map[string]any {
	return map[string]any{"id": "a1b2c3d4e5f6", "name": "web", "agentType": "claude-code", "mode": "none",
		"desired": "stopped", "domains": []string{}, "grants": []any{}, "ports": []int{}, "previewCspOff": f.off,
		"workspace": "/home/u/web", "limits": map[string]any{}, "hostAccess": "all"}
}

func (f *cspAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	f.mu.Lock()
	defer f.mu.Unlock()
	path := strings.TrimPrefix(r.URL.Path, "/api/v1")
	switch {
	case r.Method == "GET" && path == "/presets":
		_, _ = io.WriteString(w, `{"agentTypes":[{"name":"claude-code"}],"runtimes":[],"limits":{"pids":1024,"memoryMB":4096,"cpus":2}}`)
	case r.Method == "GET" && path == "/projects":
		_ = json.NewEncoder(w).Encode([]any{f.project()})
	case r.Method == "GET" && path == "/projects/a1b2c3d4e5f6/status":
		_ = json.NewEncoder(w).Encode(map[string]any{"project": f.project(), "running": false})
	case r.Method == "GET" && path == "/projects/a1b2c3d4e5f6/events":
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.(http.Flusher).Flush()
		f.mu.Unlock()
		<-r.Context().Done()
		f.mu.Lock()
	case r.Method == "PATCH" && path == "/projects/a1b2c3d4e5f6" && r.URL.Query().Get("dryRun") != "":
		// The edit dialog asks what an edit would break before saving.
		_ = json.NewEncoder(w).Encode(map[string]any{"dryRun": true, "project": f.project(), "wouldRefuse": []any{}})
	case r.Method == "PATCH" && path == "/projects/a1b2c3d4e5f6":
		f.patches = append(f.patches, string(body))
		var patch struct {
			Off *bool `json:"previewCspOff"`
		}
		_ = json.Unmarshal(body, &patch)
		if patch.Off != nil {
			f.off = *patch.Off
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"project": f.project(), "push": map[string]any{"applied": true, "durationMs": 1}})
	default:
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"error":"no API route `+r.Method+" "+path+`"}`)
	}
}

// The project page warns while a project's previews go without Warden's
// policy, and the edit dialog's checkbox turns it back on.
func TestChromiumPreviewPolicySwitch(t *testing.T) {
	api := &cspAPI{off: true}
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", api)
	mux.Handle("/", New(nil))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	ctx := browser.Start(t)
	browser.Run(t, ctx, chromedp.Navigate(srv.URL+"/#/projects/a1b2c3d4e5f6"))
	browser.WaitJS(t, ctx, `document.getElementById('detail-preview-csp-warning')`, "no warning on the project page")
	require.Contains(t, browser.Eval[string](t, ctx, `document.getElementById('detail-preview-csp-warning').textContent`),
		"may send what it reads to any site")

	press(t, ctx, `#detail-view button[data-focus="edit"]`)
	browser.WaitJS(t, ctx, `document.getElementById('edit-dialog').open`, "the edit dialog did not open")
	box := `document.querySelector('#edit-form input[name="previewCspOff"]')`
	require.True(t, browser.Eval[bool](t, ctx, box+`.checked`), "the dialog shows the switch as stored")
	browser.Run(t, ctx, chromedp.Evaluate[chromedp.Void](box+`.click(); document.querySelector('#edit-form [type=submit]').click()`))
	browser.WaitJS(t, ctx, `!document.getElementById('detail-preview-csp-warning')`, "the warning stayed after the policy was turned on")
	api.mu.Lock()
	defer api.mu.Unlock()
	require.Len(t, api.patches, 1)
	require.Contains(t, api.patches[0], `"previewCspOff":false`)
}
