package e2e

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// TestDockerUIPortChipOpensThePreview clicks a port chip and reads the dev
// server's answer in the new tab, through the daemon's preview proxy; a
// port that listens without being declared is forwarded with one click.
func TestDockerUIPortChipOpensThePreview(t *testing.T) {
	w := newWorld(t)
	id := w.createProject("restricted", "github.com")
	w.mustCLI("ports", "add", id, "8000")
	w.startDevServer(t, id, "uidev", "0.0.0.0:8000", "0.0.0.0:8002")

	b := newBrowser(t, w)
	b.open("/")
	c := card(id)
	chip := c + ` a.chip[aria-label^="Open port 8000 "]`
	b.waitJS(q(chip), "no chip for the declared port")
	b.waitJS(q(c+` button[data-focus="forward-8002"]`), "the listening port that is not declared is not offered")
	require.NotContains(t, b.text(c+" .chips:not(.undeclared)"), "8002", "an undeclared port is shown apart")
	b.screenshot("ui-port-chips")

	opened := chromedp.WaitNewTarget(b.ctx, func(i *target.Info) bool {
		return strings.Contains(i.URL, id+"-claude-code-8000.localhost")
	})
	b.press(chip)
	var tab target.ID
	select {
	case tab = <-opened:
	case <-time.After(uiWait):
		t.Fatal("the chip opened no tab")
	}
	tabCtx, cancel := chromedp.NewContext(b.ctx, chromedp.WithTargetID(tab))
	defer cancel()
	require.Eventually(t, func() bool {
		ctx, stop := context.WithTimeout(tabCtx, 5*time.Second)
		defer stop()
		text, err := chromedp.Run(ctx, chromedp.Evaluate[string]("document.body ? document.body.innerText : ''"))
		if err == nil && strings.Contains(text, "ERR_NETWORK_CHANGED") {
			// Chromium failed the load as Docker changed the machine's
			// interfaces (see browser.load); the user would reload.
			_ = chromedp.Do(ctx, chromedp.Reload())
		}
		return err == nil && strings.Contains(text, `"id":"uidev"`)
	}, uiWait, 200*time.Millisecond, "the new tab does not show the dev server's page")
	cancel() // closes the preview tab
	_, err := chromedp.Call(b.ctx, page.BringToFront, cdp.Empty{})
	require.NoError(t, err)

	b.press(c + ` button[data-focus="forward-8002"]`)
	b.waitJS(q(c+` a.chip[aria-label^="Open port 8002 "]`), "the forwarded port has no chip")
	require.True(t, slices.Contains(w.project(t, id).Ports, 8002))
	code, _ := w.api(t, "GET", "/projects/"+id+"/ports", nil)
	require.Equal(t, http.StatusOK, code)
}
