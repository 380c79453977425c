package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// The browser tests drive Debian's headless Chromium through chromedp
// against the world's daemon. Chromium is told to use a proxy that does not
// exist for everything but loopback (which it never proxies), so nothing
// it might fetch on its own leaves the machine.

// artifacts is where screenshots of the main views go (gitignored).
const artifacts = "../artifacts"

// uiWait bounds every wait for the page.
const uiWait = 30 * time.Second

type browser struct {
	t     *testing.T
	w     *world
	ctx   context.Context
	base  string // http://localhost:<port>
	token string

	mu         sync.Mutex
	urls       []string
	exceptions []string
	// pending are the requests sent and not yet answered, by id; failed
	// are those that failed, with Chromium's reason.
	pending map[network.RequestID]string
	failed  []string
}

// newBrowser starts a headless Chromium for the test and logs it in as a
// user does, through the one-time address `warden ui` prints. When the
// test ends it checks that the page never put the token in a URL and threw
// nothing.
func newBrowser(t *testing.T, w *world) *browser {
	t.Helper()
	_, port, err := net.SplitHostPort(w.addr)
	require.NoError(t, err)
	b := &browser{t: t, w: w, base: "http://localhost:" + port, token: w.token(), pending: map[network.RequestID]string{}}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.NoSandbox, // tests run as root
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.ProxyServer("http://127.0.0.1:9"),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	b.ctx = ctx
	t.Cleanup(func() {
		b.checkURLs()
		cancelCtx()
		cancelAlloc()
	})
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			b.urls = append(b.urls, e.Request.URL+e.Request.URLFragment)
			b.pending[e.RequestID] = e.Request.URL
		case *network.EventLoadingFinished:
			delete(b.pending, e.RequestID)
		case *network.EventLoadingFailed:
			b.failed = append(b.failed, b.pending[e.RequestID]+": "+e.ErrorText)
			delete(b.pending, e.RequestID)
		case *runtime.EventExceptionThrown:
			b.exceptions = append(b.exceptions, exceptionText(e.ExceptionDetails))
		}
	}))
	b.login()
	return b
}

// loginAddress asks the daemon for a one-time login address, as
// `warden ui` does for a user.
func (w *world) loginAddress(t *testing.T) string {
	t.Helper()
	var lc struct {
		URL string `json:"url"`
	}
	require.NoError(t, json.Unmarshal([]byte(w.mustCLI("ui", "--no-open", "--json")), &lc))
	require.True(t, strings.HasPrefix(lc.URL, "http://localhost:"), lc.URL)
	return lc.URL
}

// login opens a fresh login address and waits for the UI it leads to. The
// session is set before the UI loads, so a UI that failed to load (see
// load) is loaded again without a new address; a login page that failed
// to load spent nothing, and a fresh address is opened instead.
func (b *browser) login() {
	b.t.Helper()
	for attempt := 1; ; attempt++ {
		b.mu.Lock()
		b.failed = nil
		b.mu.Unlock()
		b.navigate(b.w.loginAddress(b.t))
		deadline := time.Now().Add(uiWait)
		for !b.holds(`location.pathname === '/'`) && !(b.networkChanged() && attempt < 3) {
			if time.Now().After(deadline) {
				b.waitJSFor(`location.pathname === '/'`, 0, "the login address did not lead to the UI")
			}
			time.Sleep(100 * time.Millisecond)
		}
		if b.holds(`location.pathname === '/'`) {
			b.open("/")
			return
		}
		b.t.Logf("the network changed while the login page loaded; opening a fresh address")
	}
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "?"
	}
	s := d.Text
	if d.Exception != nil && d.Exception.Description != "" {
		s += ": " + d.Exception.Description
	}
	return fmt.Sprintf("%s (%s:%d)", s, d.URL, d.LineNumber)
}

// checkURLs fails the test when a URL the page requested carries the
// token, or the page threw.
func (b *browser) checkURLs() {
	b.mu.Lock()
	defer b.mu.Unlock()
	require.NotEmpty(b.t, b.urls, "the page requested nothing")
	for _, u := range b.urls {
		require.NotContains(b.t, u, b.token, "the token is in a URL the page requested")
	}
	require.Empty(b.t, b.exceptions, "the page threw")
}

// requested lists the URLs the page asked for so far.
func (b *browser) requested() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.urls...)
}

// do runs actions, failing the test on an error.
func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, uiWait)
	defer cancel()
	require.NoError(b.t, chromedp.Do(ctx, actions...))
}

// navigate opens url. Chromium fails a navigation as well as the requests in
// flight when the machine's addresses change (net::ERR_NETWORK_CHANGED), as
// they do whenever Docker starts or stops a container; such a navigation
// sent nothing the page acted on, so it is tried again, up to three times.
func (b *browser) navigate(url string) {
	b.t.Helper()
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(b.ctx, uiWait)
		err := chromedp.Do(ctx, chromedp.Navigate(url))
		cancel()
		if err == nil {
			return
		}
		if attempt < 3 && strings.Contains(err.Error(), "ERR_NETWORK_CHANGED") {
			b.t.Logf("the network changed while opening %s; opening it again", url)
			continue
		}
		require.NoError(b.t, err, "opening %s", url)
	}
}

// open loads the UI at path (such as "/" or "/#/projects/<id>") and waits
// for the first refresh.
func (b *browser) open(path string) {
	b.t.Helper()
	b.load(b.base+path, `document.getElementById('list-loading') !== null && document.getElementById('list-loading').hidden`,
		"the project list never loaded")
}

// load navigates to url and waits until ready holds. Chromium fails the
// requests in flight when the machine's network interfaces change
// (net::ERR_NETWORK_CHANGED), as they do whenever Docker starts a
// container; a page whose script failed so never becomes ready, so it is
// loaded again, up to three times.
func (b *browser) load(url, ready, msg string) {
	b.t.Helper()
	for attempt := 1; ; attempt++ {
		b.mu.Lock()
		b.failed = nil
		b.mu.Unlock()
		b.navigate(url)
		deadline := time.Now().Add(uiWait)
		for !b.holds(ready) {
			if b.networkChanged() && attempt < 3 {
				b.t.Logf("the network changed while %s loaded; loading it again", url)
				break
			}
			if time.Now().After(deadline) {
				b.waitJSFor(ready, 0, msg)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if b.holds(ready) {
			return
		}
	}
}

// holds evaluates a condition in the page; a page that is navigating
// (the evaluation fails) does not hold it yet.
func (b *browser) holds(cond string) bool {
	ctx, cancel := context.WithTimeout(b.ctx, uiWait)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("Boolean("+cond+")"))
	return err == nil && v
}

// networkChanged reports whether a request failed because the machine's
// network changed.
func (b *browser) networkChanged() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, f := range b.failed {
		if strings.Contains(f, "ERR_NETWORK_CHANGED") {
			return true
		}
	}
	return false
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, uiWait)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	require.NoError(b.t, err, "evaluating %s", expr)
	return v
}

// waitJS waits until a JavaScript expression is true.
func (b *browser) waitJS(expr, msg string) {
	b.t.Helper()
	b.waitJSFor(expr, uiWait, msg)
}

func (b *browser) waitJSFor(expr string, d time.Duration, msg string) {
	b.t.Helper()
	deadline := time.Now().Add(d)
	for {
		// A page that is navigating cannot be asked; it is asked again.
		if b.holds(expr) {
			return
		}
		if time.Now().After(deadline) {
			b.screenshot("failed-" + sanitize(b.t.Name()))
			b.mu.Lock()
			b.t.Logf("requests unanswered: %v; failed: %v", maps.Collect(maps.All(b.pending)), b.failed)
			b.mu.Unlock()
			b.t.Fatalf("%s (waited %s for %s)", msg, d, expr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// js quotes a Go string as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// q is document.querySelector(sel) as JavaScript.
func q(sel string) string { return "document.querySelector(" + js(sel) + ")" }

// press focuses the element and presses Enter (Space for a checkbox), the
// way a keyboard user does. The focus is given in the page itself, so a
// redraw between finding the element and focusing it cannot fail the step;
// a redraw after it keeps the focus on the same control.
func (b *browser) press(sel string) {
	b.t.Helper()
	focus := "(el => !!el && !el.disabled && (el.focus(), document.activeElement === el))(" + q(sel) + ")"
	b.waitJS(focus, "no enabled, focusable "+sel)
	key := "\r"
	if eval[bool](b, "document.activeElement.type === 'checkbox'") {
		key = " "
	}
	b.do(chromedp.KeyEvent(key))
}

// typeInto replaces the text of a field by typing.
func (b *browser) typeInto(sel, text string) {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](q(sel)+".value = ''"),
		chromedp.SendKeys(chromedp.CSS(sel), text))
}

// setValue sets a field's value as a paste would, with an input event.
func (b *browser) setValue(sel, value string) {
	b.t.Helper()
	b.exec("(el => { el.value = " + js(value) + "; el.dispatchEvent(new Event('input', {bubbles: true})); })(" + q(sel) + ")")
}

// exec runs a JavaScript statement in the page.
func (b *browser) exec(stmt string) {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](stmt))
}

// holdRequests pauses the page's requests whose URL matches pattern (the
// Fetch domain's wildcards) until release is called, so a test can look at
// the page while they are in flight. paused receives each held request.
func (b *browser) holdRequests(pattern string) (paused <-chan struct{}, release func()) {
	b.t.Helper()
	ch := make(chan struct{}, 16)
	events := chromedp.Events(b.ctx, fetch.RequestPaused)
	_, err := chromedp.Call(b.ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: pattern}}})
	require.NoError(b.t, err)
	var mu sync.Mutex
	var held []fetch.RequestID
	released := false
	go func() {
		for ev, err := range events {
			if err != nil {
				return
			}
			mu.Lock()
			if released {
				mu.Unlock()
				_, _ = chromedp.Call(b.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
				continue
			}
			held = append(held, ev.RequestID)
			mu.Unlock()
			ch <- struct{}{}
		}
	}()
	return ch, func() {
		mu.Lock()
		released = true
		ids := held
		held = nil
		mu.Unlock()
		for _, id := range ids {
			_, err := chromedp.Call(b.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: id})
			require.NoError(b.t, err)
		}
		_, err := chromedp.Call(b.ctx, fetch.Disable, cdp.Empty{})
		require.NoError(b.t, err)
	}
}

// failRequests makes every request of the page whose URL matches one of
// patterns (the Fetch domain's wildcards) fail as a lost connection does,
// from now on; failed counts them.
func (b *browser) failRequests(patterns ...string) (failed func() int) {
	b.t.Helper()
	events := chromedp.Events(b.ctx, fetch.RequestPaused)
	var ps []*fetch.RequestPattern
	for _, p := range patterns {
		ps = append(ps, &fetch.RequestPattern{URLPattern: p})
	}
	_, err := chromedp.Call(b.ctx, fetch.Enable, fetch.EnableParams{Patterns: ps})
	require.NoError(b.t, err)
	var mu sync.Mutex
	n := 0
	go func() {
		for ev, err := range events {
			if err != nil {
				return
			}
			mu.Lock()
			n++
			mu.Unlock()
			_, _ = chromedp.Call(b.ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonConnectionFailed})
		}
	}()
	return func() int {
		mu.Lock()
		defer mu.Unlock()
		return n
	}
}

// text is the trimmed text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	return strings.TrimSpace(eval[string](b, "("+q(sel)+" || {}).textContent || ''"))
}

// screenshot saves a PNG of the page to test/artifacts.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, uiWait)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	require.NoError(b.t, os.MkdirAll(artifacts, 0o755))
	path := filepath.Join(artifacts, name+".png")
	require.NoError(b.t, os.WriteFile(path, png, 0o644))
	b.t.Logf("screenshot: test/artifacts/%s.png", name)
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, s)
}

// card is the selector of a project's card.
func card(id string) string { return `[data-project-id="` + id + `"]` }

// api calls the world's daemon with the token, as the CLI does.
func (w *world) api(t *testing.T, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, "http://"+w.addr+"/api/v1"+path, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+w.token())
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out bytes.Buffer
	_, _ = out.ReadFrom(resp.Body)
	return resp.StatusCode, out.Bytes()
}
