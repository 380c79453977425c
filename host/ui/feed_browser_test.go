package ui

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/test/browser"
)

// feedAPI stands in for the daemon behind the feed: one project, its event
// stream and the edits the feed's buttons send.
type feedAPI struct {
	events []map[string]any

	mu      sync.Mutex
	domains []string
	edits   []string // method, path and body of each edit
}

func (f *feedAPI) project() map[string]any {
	return map[string]any{"id": "a1b2c3d4e5f6", "name": "web", "mode": "restricted", "desired": "running",
		"domains": slices.Clone(f.domains), "grants": []any{}}
}

func (f *feedAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	f.mu.Lock()
	defer f.mu.Unlock()
	path := strings.TrimPrefix(r.URL.Path, "/api/v1")
	switch {
	case r.Method == "GET" && path == "/projects/a1b2c3d4e5f6/events":
		w.Header().Set("Content-Type", "application/x-ndjson")
		enc := json.NewEncoder(w)
		for _, ev := range f.events {
			_ = enc.Encode(ev)
		}
		w.(http.Flusher).Flush()
		f.mu.Unlock()
		<-r.Context().Done() // a followed stream stays open
		f.mu.Lock()
	case r.Method == "GET" && path == "/projects":
		_ = json.NewEncoder(w).Encode([]any{f.project()})
	case r.Method == "GET" && path == "/projects/a1b2c3d4e5f6/status":
		_ = json.NewEncoder(w).Encode(map[string]any{"project": f.project(), "running": false})
	case r.Method == "PATCH" && path == "/projects/a1b2c3d4e5f6":
		f.edits = append(f.edits, "PATCH "+path+" "+string(body))
		var patch struct {
			AddDomains []string `json:"addDomains"`
		}
		_ = json.Unmarshal(body, &patch)
		f.domains = append(f.domains, patch.AddDomains...)
		_ = json.NewEncoder(w).Encode(map[string]any{"project": f.project(), "push": map[string]any{"applied": true, "durationMs": 1.5}})
	case r.Method == "POST" && path == "/projects/a1b2c3d4e5f6/grants":
		f.edits = append(f.edits, "POST "+path+" "+string(body))
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"project": f.project(),
			"grant": map[string]any{"domain": "x", "expiresAt": time.Now().Add(time.Hour)}, "push": map[string]any{"applied": true, "durationMs": 1}})
	default:
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"error":"no API route `+r.Method+" "+path+`"}`)
	}
}

func (f *feedAPI) editsSoFar() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.edits)
}

// feedPage runs the real feed module against the fake API. It loads as the
// daemon's page does: boot.js first, which loads a module again when its
// download failed (Chromium drops waiting downloads when the machine's
// addresses change, as they do whenever a container of another test starts
// or stops), and an entry module under /static/ that imports the others
// relatively, so that its retry fetches them anew.
const feedPage = `<!doctype html><meta charset="utf-8">
<script src="/static/js/boot.js"></script>
<div id="notices"></div>
<section><p class="feed-empty">Nothing blocked.</p><ul class="feed" id="feed"></ul></section>
<p id="state"></p>
<ul id="entries" class="domain-list"></ul>
<script type="module" src="/static/test/feed-entry.js"></script>`

// feedEntry is the page's entry module, served at /static/test/ and under
// the retry prefix.
const feedEntry = `import { startFeed, renderFeed } from '../js/feed.js';
import { store, subscribe } from '../js/store.js';
import { domainItem } from '../js/detail.js';
document.getElementById('entries').append(...['!gist.github.com', 'github.com'].map(domainItem));
store.projects.set('a1b2c3d4e5f6', { project: { id: 'a1b2c3d4e5f6', mode: 'restricted', desired: 'running',
  domains: ['!gist.github.com', 'github.com'], grants: [] } });
subscribe(renderFeed);
startFeed('a1b2c3d4e5f6', document.getElementById('feed'), document.getElementById('state'));
`

// feedRowView is what a row shows, read from the page.
type feedRowView struct {
	Class   string   `json:"class"`
	Name    string   `json:"name"`
	Kind    string   `json:"kind"`
	Target  string   `json:"target"`
	Detail  string   `json:"detail"`
	Buttons []string `json:"buttons"`
	Note    string   `json:"note"`
}

const readRows = `[...document.querySelectorAll('#feed .feed-row')].map((li) => ({
  class: li.className, name: li.dataset.name || '',
  kind: li.querySelector('.feed-kind').textContent, target: li.querySelector('.feed-target').textContent,
  detail: li.querySelector('.feed-detail').textContent,
  buttons: [...li.querySelectorAll('button')].map((b) => b.textContent),
  note: (li.querySelector('.allowed-now, .denied-by') || {}).textContent || '',
}))`

// The feed shows a connection refused for its name as its own kind, with
// the name, the reason and the address; Allow and "Allow for 1 hour" send
// the name as they do for a refused query; a name under a deny entry is
// shown as denied, with nothing to click; an agent-chosen name is text.
func TestChromiumFeedShowsConnectionsRefusedForTheirName(t *testing.T) {
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	ev := func(sec int, fields map[string]any) map[string]any {
		fields["time"] = at.Add(time.Duration(sec) * time.Second)
		return fields
	}
	api := &feedAPI{domains: []string{"!gist.github.com", "github.com"}, events: []map[string]any{
		ev(1, map[string]any{"kind": "dns-refused", "name": "blocked.example", "qtype": "A", "protocol": "udp"}),
		ev(2, map[string]any{"kind": "name-refused", "name": "shared-b.example.org", "reason": "not allowed", "address": "203.0.113.7", "port": 443, "protocol": "tcp"}),
		ev(3, map[string]any{"kind": "name-refused", "name": "shared-b.example.org", "reason": "not allowed", "address": "203.0.113.7", "port": 443, "protocol": "tcp"}),
		ev(4, map[string]any{"kind": "name-refused", "reason": "no name", "address": "203.0.113.7", "port": 443, "protocol": "tcp"}),
		ev(5, map[string]any{"kind": "name-refused", "name": "raw.gist.github.com", "reason": "not allowed", "address": "192.0.2.12", "port": 443, "protocol": "tcp"}),
		ev(6, map[string]any{"kind": "name-refused", "name": "api.github.com", "reason": "not allowed", "address": "192.0.2.11", "port": 80, "protocol": "tcp"}),
		ev(7, map[string]any{"kind": "conn-rejected", "address": "203.0.113.5", "port": 7, "protocol": "tcp"}),
		ev(8, map[string]any{"kind": "name-refused", "name": "other.example.net", "reason": "not allowed", "address": "2001:db8::7", "port": 443, "protocol": "tcp"}),
		ev(9, map[string]any{"kind": "name-refused", "name": `<img src=x onerror="window.pwned=1">`, "reason": "not allowed", "address": "203.0.113.7", "port": 80, "protocol": "tcp"}),
	}}
	mux := http.NewServeMux()
	// Every download of feed.js at its first address is cut off, as a
	// browser cuts off a waiting one when the machine's addresses change
	// (every one: the browser itself tries a request again on a fresh
	// connection once): the page loads its modules again from the retry
	// address (boot.js) and shows the feed regardless.
	var retried atomic.Int32
	static := New(nil)
	mux.HandleFunc("/static/", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/static/retry/") {
			retried.Add(1)
		}
		if r.URL.Path == "/static/js/feed.js" {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return
		}
		static.ServeHTTP(w, r)
	})
	mux.Handle("/api/v1/", api)
	entry := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		_, _ = io.WriteString(w, feedEntry)
	}
	mux.HandleFunc("/static/test/feed-entry.js", entry)
	mux.HandleFunc("/static/retry/{n}/test/feed-entry.js", entry)
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, feedPage)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	ctx := browser.Start(t)
	browser.Run(t, ctx, chromedp.Navigate(srv.URL+"/feed"))
	browser.WaitJS(t, ctx, `document.querySelectorAll('#feed .feed-row').length === 8`, "the feed never showed the events")
	rows := browser.Eval[[]feedRowView](t, ctx, readRows)
	require.Positive(t, retried.Load(), "the page never loaded a module again")

	allow := []string{"Allow", "Allow for 1 hour"}
	want := []feedRowView{
		{Class: "feed-row feed-named", Name: `<img src=x onerror="window.pwned=1">`, Kind: "Named connection", Target: `<img src=x onerror="window.pwned=1">`,
			Detail: "not allowed, to 203.0.113.7:80", Buttons: allow},
		{Class: "feed-row feed-named", Name: "other.example.net", Kind: "Named connection", Target: "other.example.net",
			Detail: "not allowed, to [2001:db8::7]:443", Buttons: allow},
		{Class: "feed-row feed-conn", Kind: "Connection rejected", Target: "203.0.113.5:7", Detail: "tcp"},
		{Class: "feed-row feed-named", Name: "api.github.com", Kind: "Named connection", Target: "api.github.com",
			Detail: "not allowed, to 192.0.2.11:80", Note: "allowed now"},
		{Class: "feed-row feed-named", Name: "raw.gist.github.com", Kind: "Named connection", Target: "raw.gist.github.com",
			Detail: "not allowed, to 192.0.2.12:443", Note: "denied by !gist.github.com"},
		{Class: "feed-row feed-named", Kind: "Named connection", Target: "no name", Detail: "no name, to 203.0.113.7:443"},
		{Class: "feed-row feed-named", Name: "shared-b.example.org", Kind: "Named connection", Target: "shared-b.example.org",
			Detail: "not allowed, to 203.0.113.7:443", Buttons: allow},
		{Class: "feed-row feed-dns", Name: "blocked.example", Kind: "Name refused", Target: "blocked.example", Detail: "A", Buttons: allow},
	}
	for i := range rows {
		if rows[i].Buttons == nil || len(rows[i].Buttons) == 0 {
			rows[i].Buttons = nil
		}
	}
	require.Equal(t, want, rows)
	require.Equal(t, "×2", browser.Eval[string](t, ctx, `document.querySelector('.feed-row[data-name="shared-b.example.org"] .feed-count').textContent`),
		"repeats fold into one row")
	require.True(t, browser.Eval[bool](t, ctx, `document.querySelector('#feed img') === null && window.pwned === undefined`), "a name is text, never markup")

	// The allowlist shows a deny entry as its name, marked denied.
	require.Equal(t, []string{"domain-deny|!gist.github.com|denied gist.github.com", "|github.com|github.com"}, browser.Eval[[]string](t, ctx,
		`[...document.querySelectorAll('#entries li')].map((li) => li.className + '|' + li.dataset.entry + '|' + li.textContent)`))

	press(t, ctx, `.feed-row.feed-named[data-name="shared-b.example.org"] button[data-focus="allow"]`)
	browser.WaitJS(t, ctx, `document.querySelector('.feed-row[data-name="shared-b.example.org"] .allowed-now') !== null`,
		"the allowed name's row does not say it is allowed now")
	press(t, ctx, `.feed-row.feed-named[data-name="other.example.net"] button[data-focus="grant"]`)
	browser.WaitJS(t, ctx, `[...document.querySelectorAll('#notices .notice')].some((n) => n.textContent.startsWith('other.example.net allowed until'))`,
		"no notice of the grant")
	require.Equal(t, []string{
		`PATCH /projects/a1b2c3d4e5f6 {"addDomains":["shared-b.example.org"]}`,
		`POST /projects/a1b2c3d4e5f6/grants {"domain":"other.example.net","ttlSeconds":3600}`,
	}, api.editsSoFar())
}

// press focuses the control and presses Enter, as a keyboard user does.
func press(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	sq, _ := json.Marshal(sel)
	browser.WaitJS(t, ctx, "(el => !!el && (el.focus(), document.activeElement === el))(document.querySelector("+string(sq)+"))", "no focusable "+sel)
	browser.Run(t, ctx, chromedp.KeyEvent("\r"))
}
