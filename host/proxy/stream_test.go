package proxy

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// sse sends one event, then waits for release before the next.
func sseHandler(release chan struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: first\n\n")
		w.(http.Flusher).Flush()
		<-release
		fmt.Fprint(w, "data: second\n\n")
	})
}

func TestProxyStreamsServerSentEvents(t *testing.T) {
	release := make(chan struct{})
	port := backend(t, "127.0.0.1:0", sseHandler(release))
	e := newEnv(t, port)
	resp := e.do(t, "GET", port, "/events", nil)
	lines := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case l := <-lines:
		require.Equal(t, "data: first", l, "the first event arrives while the stream is still open")
	case <-time.After(5 * time.Second):
		t.Fatal("the first event was held back")
	}
	close(release)
	var rest []string
	for l := range lines {
		rest = append(rest, l)
	}
	require.Contains(t, rest, "data: second")
}

// TestProxyStreamsBodies proves neither direction is buffered whole: the
// upload's sender waits until the dev server has the first part before it
// sends the rest, and so does the download's.
func TestProxyStreamsBodies(t *testing.T) {
	const part = 1 << 20
	gotFirst := make(chan struct{})
	port := backend(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/upload":
			h := sha256.New()
			_, err := io.CopyN(h, r.Body, part)
			require.NoError(t, err)
			close(gotFirst)
			n, _ := io.Copy(h, r.Body)
			fmt.Fprintf(w, "%d %s", part+n, hex.EncodeToString(h.Sum(nil)))
		case "/download":
			w.Header().Set("Content-Length", fmt.Sprint(2*part))
			_, _ = w.Write(make([]byte, part))
			w.(http.Flusher).Flush()
			<-gotFirst
			_, _ = w.Write(make([]byte, part))
		}
	}))
	e := newEnv(t, port)

	pr, pw := io.Pipe()
	want := sha256.New()
	go func() {
		chunk := make([]byte, part)
		_, _ = pw.Write(chunk)
		want.Write(chunk)
		select {
		case <-gotFirst:
		case <-time.After(10 * time.Second):
			pw.CloseWithError(fmt.Errorf("the dev server never got the first MiB: the upload was buffered"))
			return
		}
		for range 8 {
			_, _ = pw.Write(chunk)
			want.Write(chunk)
		}
		pw.Close()
	}()
	req, err := http.NewRequest("POST", e.server.URL+"/upload", pr)
	require.NoError(t, err)
	req.Host = e.host(port)
	resp, err := e.server.Client().Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, fmt.Sprintf("%d %s", 9*part, hex.EncodeToString(want.Sum(nil))), string(body))

	// Download: the first MiB arrives before the server sends the second.
	gotFirst = make(chan struct{})
	resp = e.do(t, "GET", port, "/download", nil)
	_, err = io.ReadFull(resp.Body, make([]byte, part))
	require.NoError(t, err)
	close(gotFirst)
	n, err := io.Copy(io.Discard, resp.Body)
	require.NoError(t, err)
	require.EqualValues(t, part, n)
}

func wsEcho(t *testing.T) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The dev server accepts any origin, so only the proxy's check is
		// tested.
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := r.Context()
		for {
			typ, msg, err := c.Read(ctx)
			if err != nil {
				return
			}
			if err := c.Write(ctx, typ, append([]byte(r.Host+" "), msg...)); err != nil {
				return
			}
		}
	})
}

func dialWS(t *testing.T, e *env, port int, origin string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hdr := http.Header{}
	if origin != "" {
		hdr.Set("Origin", origin)
	}
	hdr.Set("Host", e.host(port))
	return websocket.Dial(ctx, "ws://"+e.host(port)+"/ws", &websocket.DialOptions{
		HTTPHeader: hdr,
		HTTPClient: &http.Client{Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, _ string) (netConn, error) {
				return dialer0.DialContext(ctx, network, e.server.Listener.Addr().String())
			},
		}},
	})
}

func TestProxyWebSocketEcho(t *testing.T) {
	for name, addr := range map[string]string{"direct": "127.0.0.1:0", "relay": "[::1]:0"} {
		t.Run(name, func(t *testing.T) {
			port := backend(t, addr, wsEcho(t))
			e := newEnv(t, port)
			c, _, err := dialWS(t, e, port, "http://"+e.host(port))
			require.NoError(t, err)
			defer c.CloseNow()
			ctx := context.Background()
			for i := range 3 {
				msg := fmt.Sprintf("hot update %d", i)
				require.NoError(t, c.Write(ctx, websocket.MessageText, []byte(msg)))
				_, got, err := c.Read(ctx)
				require.NoError(t, err)
				require.Equal(t, e.host(port)+" "+msg, string(got), "echoed, and the dev server saw the preview Host")
			}
			require.Equal(t, 1, e.proxy.tunnels.count())
			require.NoError(t, c.Close(websocket.StatusNormalClosure, "bye"))
			require.Eventually(t, func() bool { return e.proxy.tunnels.count() == 0 }, 5*time.Second, 10*time.Millisecond,
				"a closed WebSocket leaves no tunnel behind")
		})
	}
}

func TestProxyCloseEndsTunnels(t *testing.T) {
	port := backend(t, "127.0.0.1:0", wsEcho(t))
	e := newEnv(t, port)
	c, _, err := dialWS(t, e, port, "")
	require.NoError(t, err)
	defer c.CloseNow()
	require.NoError(t, e.proxy.Close())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _, err = c.Read(ctx)
	require.Error(t, err)
	require.NotErrorIs(t, err, context.DeadlineExceeded)
}

func TestProxyOriginChecks(t *testing.T) {
	port := backend(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			wsEcho(t).ServeHTTP(w, r)
			return
		}
		_, _ = io.WriteString(w, "reached")
	}))
	e := newEnv(t, port)
	own := "http://" + e.host(port)
	other := "http://" + Host{ProjectID: "ffffffffffff", AgentType: "claude-code", Port: port, Listen: e.listen}.Authority()

	t.Run("websocket", func(t *testing.T) {
		for origin, ok := range map[string]bool{
			own:                                    true,
			"":                                     true, // not a browser
			strings.ToUpper(own):                   true,
			"http://evil.example":                  false,
			other:                                  false, // another preview
			"https://" + e.host(port):              false,
			"null":                                 false,
			"http://localhost:" + itoa(e.listen):   false, // not even the UI
			"http://" + e.host(port) + ".evil.com": false,
		} {
			c, resp, err := dialWS(t, e, port, origin)
			if ok {
				require.NoError(t, err, "origin %q", origin)
				c.CloseNow()
				continue
			}
			require.Error(t, err, "origin %q", origin)
			require.Equal(t, 403, resp.StatusCode, "origin %q", origin)
			require.Equal(t, PageForeignOrigin, resp.Header.Get(PageHeader))
		}
	})
	t.Run("requests", func(t *testing.T) {
		for _, tc := range []struct {
			method, ctype, origin string
			code                  int
		}{
			{"GET", "", "http://evil.example", 200},                                   // simple: a link or <img> can do it
			{"POST", "application/x-www-form-urlencoded", "http://evil.example", 200}, // a form can
			{"POST", "text/plain; charset=utf-8", "http://evil.example", 200},
			{"POST", "application/json", "http://evil.example", 403},
			{"PUT", "", "http://evil.example", 403},
			{"DELETE", "", other, 403},
			{"OPTIONS", "", "http://evil.example", 403}, // the preflight itself
			{"POST", "application/json", own, 200},
			{"PUT", "", own, 200},
			{"DELETE", "", "", 200},
		} {
			hdr := map[string]string{}
			if tc.origin != "" {
				hdr["Origin"] = tc.origin
			}
			if tc.ctype != "" {
				hdr["Content-Type"] = tc.ctype
			}
			resp := e.do(t, tc.method, port, "/", hdr)
			require.Equal(t, tc.code, resp.StatusCode, "%s %q from %q", tc.method, tc.ctype, tc.origin)
		}
	})
}
