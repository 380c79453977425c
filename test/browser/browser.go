// Package browser drives a headless Chromium (Debian's chromium, through
// chromedp) for the web UI's and the previews' tests. Nothing but loopback
// leaves the browser: every other address goes to a proxy that does not
// exist.
package browser

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// Wait bounds one step: an action, an evaluation, a wait for a condition.
const Wait = 20 * time.Second

// Start starts a browser for the test and returns its context.
func Start(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.NoSandbox, // tests run as root
		chromedp.UserDataDir(t.TempDir()),
		chromedp.ProxyServer("http://127.0.0.1:9"),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-pings", true),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	// The first call starts the browser and ties it to its context, so it
	// runs on the test's context rather than one with a step's timeout.
	require.NoError(t, chromedp.Do(ctx), "starting Chromium (is Debian's chromium installed? make test installs it)")
	keepConsole(t, ctx)
	return ctx
}

// keepConsole keeps what the page writes to its console (its messages,
// uncaught exceptions, the browser's network and security errors) and logs
// it when the test fails: a page that never shows what a test waits for
// often said why there.
func keepConsole(t *testing.T, ctx context.Context) {
	var (
		mu    sync.Mutex
		lines []string
	)
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			line := fmt.Sprintf("%s %s: %s", m.Time.Format("15:04:05.000"), m.Type, m.Text)
			if m.URL != "" {
				line += fmt.Sprintf(" (%s:%d)", m.URL, m.Line+1)
			}
			mu.Lock()
			lines = append(lines, line)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if len(lines) == 0 {
			t.Log("the page's console: empty")
			return
		}
		t.Logf("the page's console:\n%s", strings.Join(lines, "\n"))
	})
}

// Run performs actions within Wait.
func Run(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, Wait)
	defer cancel()
	require.NoError(t, chromedp.Do(ctx, actions...), "driving Chromium")
}

// Eval evaluates expr in the page.
func Eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, Wait)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	require.NoError(t, err, "evaluating %s", expr)
	return v
}

// WaitJS polls expr until it holds, within Wait; msg says what did not
// happen otherwise.
func WaitJS(t *testing.T, ctx context.Context, expr, msg string) {
	t.Helper()
	deadline := time.Now().Add(Wait)
	for !Eval[bool](t, ctx, "Boolean("+expr+")") {
		if time.Now().After(deadline) {
			t.Logf("the page at %s", Eval[string](t, ctx, pageSnapshot))
			t.Fatalf("%s (waited %s for %s)", msg, Wait, expr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pageSnapshot says where the page is and what it shows, for a failed wait.
const pageSnapshot = `location.href + ' (' + document.readyState + ', ' + document.visibilityState + '):\n' +
  document.body.innerText.slice(0, 2000)`
