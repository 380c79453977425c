package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// foreignPage tries, from its own origin, what a hostile page would: read
// the UI (and its token), read the API, and create a project with a form-
// style request that needs no CORS preflight.
const foreignPage = `<!doctype html><title>elsewhere</title><script>
window.attempt = async (api) => {
  const out = {};
  try { const r = await fetch(api + '/'); out.page = 'read ' + r.status + ' ' + (await r.text()).length; } catch (e) { out.page = 'blocked'; }
  try { const r = await fetch(api + '/api/v1/projects'); out.list = 'read ' + r.status; } catch (e) { out.list = 'blocked'; }
  try {
    await fetch(api + '/api/v1/projects', { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' },
      body: JSON.stringify({ name: 'evil', workspace: '/tmp', agentType: 'claude-code' }) });
    out.post = 'sent';
  } catch (e) { out.post = 'blocked'; }
  return out;
};
</script>`

func TestDockerUIForeignPageCannotDriveTheAPI(t *testing.T) {
	w := newWorld(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "text/html")
		fmt.Fprint(rw, foreignPage)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	port := ln.Addr().(*net.TCPAddr).Port

	b := newBrowser(t, w)
	origins := map[string]string{
		"another site":      fmt.Sprintf("http://127.0.0.1:%d/", port),
		"a preview sibling": fmt.Sprintf("http://a1b2c3d4e5f6-claude-code-5173.localhost:%d/", port),
	}
	for name, origin := range origins {
		t.Run(name, func(t *testing.T) {
			b.navigate(origin)
			ctx, cancel := context.WithTimeout(b.ctx, uiWait)
			defer cancel()
			out, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](
				"attempt("+js(b.base)+")", chromedp.EvalAwaitPromise))
			require.NoError(t, err)
			require.Equal(t, "blocked", out["page"], "the page and its token cannot be read from %s", origin)
			require.Equal(t, "blocked", out["list"], "the API cannot be read from %s", origin)
			require.Empty(t, w.projects(t), "no project was created from %s", origin)
		})
	}
	// The form-style POSTs reached the daemon and its guard refused them.
	log, err := os.ReadFile(w.logPath)
	require.NoError(t, err)
	refused := 0
	for _, line := range strings.Split(string(log), "\n") {
		if strings.Contains(line, `"method":"POST"`) && strings.Contains(line, `"path":"/api/v1/projects"`) && strings.Contains(line, `"status":403`) {
			refused++
		}
	}
	require.Equal(t, len(origins), refused, "each foreign POST is refused with 403")
}
