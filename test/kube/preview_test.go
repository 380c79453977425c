package kube

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/proxy"
	"github.com/warden-sh/warden/host/runtime"
)

// TestKubePreview opens a dev server in the agent container through the
// daemon's preview proxy, which reaches the pod only through the API
// server's port-forward: plain requests, a server bound to the pod's
// loopback only, a WebSocket echo, and a port where nothing listens.
func TestKubePreview(t *testing.T) {
	e := newEnv(t)
	s := serve(t, e)
	const (
		open     = 8000 // devserver on 0.0.0.0
		loopback = 8001 // devserver on 127.0.0.1 only
		closed   = 8002 // nothing
	)
	id := s.createProject(t, open, loopback, closed)

	// The dev server runs in the agent as long as its exec does.
	ctx, stopDev := context.WithCancel(context.Background())
	var devOut syncBuffer
	devDone := make(chan struct{})
	var devEnd error
	go func() {
		defer close(devDone)
		_, devEnd = e.rt.Exec(ctx, id, []string{"devserver", "-id", "kube", "-listen", "0.0.0.0:" + strconv.Itoa(open), "-listen", "127.0.0.1:" + strconv.Itoa(loopback)},
			runtime.ExecOptions{Stdout: &devOut, Stderr: &devOut})
	}()
	t.Cleanup(func() {
		stopDev()
		<-devDone
	})

	host := func(port int) string { return fmt.Sprintf("%s-claude-code-%d.localhost:%d", id, port, s.listen) }
	get := func(port int, path string) (*http.Response, string, error) {
		req, err := http.NewRequest("GET", "http://127.0.0.1:"+strconv.Itoa(s.listen)+path, nil)
		require.NoError(t, err)
		req.Host = host(port)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, string(b), err
	}
	for _, port := range []int{open, loopback} {
		var last string
		ok := assert.Eventually(t, func() bool {
			resp, body, err := get(port, "/hello")
			if err != nil {
				last = err.Error()
				return false
			}
			last = resp.Status + " " + body
			return resp.StatusCode == 200 && body == "hello\n"
		}, 30*time.Second, 100*time.Millisecond)
		if !ok {
			select {
			case <-devDone:
				t.Fatalf("port %d never answered through the proxy (last: %s); devserver ended (%v): %s", port, last, devEnd, devOut.String())
			default:
				t.Fatalf("port %d never answered through the proxy (last: %s); devserver: %s", port, last, devOut.String())
			}
		}
	}

	t.Run("requests", func(t *testing.T) {
		for _, port := range []int{open, loopback} {
			for range 20 {
				resp, body, err := get(port, "/hello")
				require.NoError(t, err)
				require.Equal(t, 200, resp.StatusCode)
				require.Equal(t, "hello\n", body)
			}
			resp, body, err := get(port, "/seen?x=1")
			require.NoError(t, err)
			require.Equal(t, 200, resp.StatusCode)
			require.Contains(t, body, `"host":"`+host(port)+`"`, "the dev server sees the preview Host")
			require.Contains(t, body, `"id":"kube"`)
		}
	})

	t.Run("download", func(t *testing.T) {
		resp, body, err := get(open, "/download?bytes=3000000")
		require.NoError(t, err)
		require.Equal(t, 200, resp.StatusCode)
		require.Len(t, body, 3000000)
	})

	dialWS := func(ctx context.Context) *websocket.Conn {
		hdr := http.Header{}
		hdr.Set("Origin", "http://"+host(open))
		c, resp, err := websocket.Dial(ctx, "ws://"+host(open)+"/ws", &websocket.DialOptions{
			HTTPHeader: hdr,
			HTTPClient: &http.Client{Transport: &http.Transport{
				DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
					return (&net.Dialer{}).DialContext(ctx, network, "127.0.0.1:"+strconv.Itoa(s.listen))
				},
			}},
		})
		require.NoError(t, err, "handshake answer: %+v", resp)
		return c
	}

	t.Run("websocket echo", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c := dialWS(ctx)
		defer c.CloseNow()
		c.SetReadLimit(1 << 20)
		for i := range 5 {
			msg := fmt.Sprintf("hot update %d", i)
			require.NoError(t, c.Write(ctx, websocket.MessageText, []byte(msg)))
			_, got, err := c.Read(ctx)
			require.NoError(t, err)
			require.Equal(t, msg, string(got))
		}
		big := bytes.Repeat([]byte("x"), 200<<10)
		require.NoError(t, c.Write(ctx, websocket.MessageBinary, big))
		_, got, err := c.Read(ctx)
		require.NoError(t, err)
		require.Equal(t, big, got, "a 200 kB message comes back whole")
		require.NoError(t, c.Close(websocket.StatusNormalClosure, "bye"))
	})

	t.Run("nothing listens", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		held := dialWS(ctx) // open across the refusals
		defer held.CloseNow()
		for range 3 {
			start := time.Now()
			resp, body, err := get(closed, "/")
			took := time.Since(start)
			require.NoError(t, err)
			require.Equal(t, http.StatusBadGateway, resp.StatusCode, body)
			require.Equal(t, proxy.PageNotListening, resp.Header.Get(proxy.PageHeader), body)
			require.Less(t, took, 3*time.Second, "the refusal is the kubelet's, not a timeout")
			t.Logf("nothing-listens page in %s", took)
		}
		// The refusals spoiled nothing: the WebSocket open across them
		// still echoes, and new requests are answered.
		require.NoError(t, held.Write(ctx, websocket.MessageText, []byte("still here")))
		_, got, err := held.Read(ctx)
		require.NoError(t, err)
		require.Equal(t, "still here", string(got))
		resp, body, err := get(open, "/hello")
		require.NoError(t, err)
		require.Equal(t, 200, resp.StatusCode)
		require.Equal(t, "hello\n", body)
	})
}

// syncBuffer is a bytes.Buffer safe for one writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
