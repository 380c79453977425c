package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// streamConn hides the socket under a net.Conn, as a connection made of
// streams (the Kubernetes port-forward) has none.
type streamConn struct{ net.Conn }

// refusedLater is a connection whose port turns out closed at its first
// read or write, as a port-forward's does.
type refusedLater struct{ net.Conn }

var errForwardRefused = fmt.Errorf("port-forward: dial tcp4 127.0.0.1:3000: connect: %w", syscall.ECONNREFUSED)

func (refusedLater) Read([]byte) (int, error)  { return 0, errForwardRefused }
func (refusedLater) Write([]byte) (int, error) { return 0, errForwardRefused }

// runtimeDialEnv is an env whose project has no address nor relay: every
// connection goes through Target.Dial, which dial answers.
func runtimeDialEnv(t *testing.T, fast bool, dial func(ctx context.Context, port int) (net.Conn, error), ports ...int) (*env, *atomic.Int64) {
	t.Helper()
	e := newEnvOn(t, fast, ports...)
	dials := new(atomic.Int64)
	e.projects.edit(testID, func(tg *Target) {
		tg.Addr = netip.Addr{}
		tg.Socket = ""
		tg.Dial = func(ctx context.Context, port int) (net.Conn, error) {
			dials.Add(1)
			return dial(ctx, port)
		}
	})
	return e, dials
}

// loopback dials the port on 127.0.0.1, handing back a socketless conn.
func loopback(ctx context.Context, port int) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, err
	}
	return streamConn{c}, nil
}

func TestProxyDialsThroughTheRuntime(t *testing.T) {
	for name, fast := range paths {
		t.Run(name, func(t *testing.T) {
			port := backend(t, "127.0.0.1:0", echoHandler())
			e, dials := runtimeDialEnv(t, fast, loopback, port)
			for range 3 {
				s := decodeSeen(t, e.do(t, "GET", port, "/page", nil))
				require.Equal(t, e.host(port), s.Host)
			}
			require.EqualValues(t, 1, dials.Load(), "one connection, kept alive between requests")
			require.Zero(t, e.relayed.Load(), "the relay is never asked when the runtime dials")
		})
	}
}

func TestProxyRuntimeDialWebSocket(t *testing.T) {
	port := backend(t, "127.0.0.1:0", wsEcho(t))
	e, dials := runtimeDialEnv(t, true, loopback, port)
	c, _, err := dialWS(t, e, port, "http://"+e.host(port))
	require.NoError(t, err)
	defer c.CloseNow()
	ctx := context.Background()
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte("hot update")))
	_, got, err := c.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, e.host(port)+" hot update", string(got))
	require.EqualValues(t, 1, dials.Load())
	require.NoError(t, c.Close(websocket.StatusNormalClosure, "bye"))
	require.Eventually(t, func() bool { return e.proxy.tunnels.count() == 0 }, 5*time.Second, 10*time.Millisecond)
}

func TestProxyRuntimeDialNothingListening(t *testing.T) {
	cases := map[string]func(ctx context.Context, port int) (net.Conn, error){
		"refused at dial": func(context.Context, int) (net.Conn, error) { return nil, errForwardRefused },
		"refused at first read": func(context.Context, int) (net.Conn, error) {
			a, b := net.Pipe()
			b.Close()
			return refusedLater{a}, nil
		},
	}
	for name, dial := range cases {
		for path, fast := range paths {
			t.Run(name+"/"+path, func(t *testing.T) {
				const port = 3000
				e, _ := runtimeDialEnv(t, fast, dial, port)
				resp := e.do(t, "GET", port, "/", nil)
				require.Equal(t, 502, resp.StatusCode)
				require.Equal(t, PageNotListening, resp.Header.Get(PageHeader))
				ws, resp, err := dialWS(t, e, port, "")
				if ws != nil {
					ws.CloseNow()
				}
				require.Error(t, err)
				require.Equal(t, 502, resp.StatusCode)
				require.Equal(t, PageNotListening, resp.Header.Get(PageHeader), "a WebSocket to the port gets the same page")
			})
		}
	}
}

func TestProxyRuntimeDialOtherFailure(t *testing.T) {
	const port = 3000
	e, _ := runtimeDialEnv(t, true, func(context.Context, int) (net.Conn, error) {
		return nil, errors.New("opening port-forward to pod warden-a1b2c3d4e5f6: pods not found")
	}, port)
	resp := e.do(t, "GET", port, "/", nil)
	require.Equal(t, 502, resp.StatusCode)
	require.Equal(t, PageUnreachable, resp.Header.Get(PageHeader))
}
