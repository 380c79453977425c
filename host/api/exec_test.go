package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/api/termwire"
	"github.com/warden-sh/warden/host/daemon"
	"github.com/warden-sh/warden/host/termsession"
)

// The fake's exec: "cat" copies stdin to stdout until its end, "exit N"
// returns N, "size" prints the terminal's first size (or the first resize
// when it started with none), "err" writes
// to stderr.
func (f *fakeService) Exec(ctx context.Context, ref string, cmd []string, opts daemon.ExecOptions) (int, error) {
	f.seen(ref)
	if f.err != nil {
		return -1, f.err
	}
	switch {
	case len(cmd) == 1 && cmd[0] == "cat":
		_, err := io.Copy(opts.Stdout, opts.Stdin)
		return 0, err
	case len(cmd) == 2 && cmd[0] == "exit":
		var code int
		_, err := fmt.Sscan(cmd[1], &code)
		return code, err
	case len(cmd) == 1 && cmd[0] == "size":
		s := opts.Size
		if s[0] == 0 {
			s = <-opts.Resize
		}
		fmt.Fprintf(opts.Stdout, "%d %d\n", s[0], s[1])
		return 0, nil
	case len(cmd) == 1 && cmd[0] == "err":
		fmt.Fprint(opts.Stderr, "oops")
		return 1, nil
	}
	return 127, nil
}

func (f *fakeService) StartSession(ctx context.Context, ref string, req termwire.SessionRequest) (termwire.SessionInfo, error) {
	f.seen(ref)
	return termwire.SessionInfo{Name: req.Name}, f.err
}

func (f *fakeService) Sessions(ctx context.Context, ref string) ([]termwire.SessionInfo, error) {
	f.seen(ref)
	return []termwire.SessionInfo{}, f.err
}

func (f *fakeService) Session(ctx context.Context, ref, name string) (*termsession.Session, error) {
	f.seen(ref)
	if f.err != nil {
		return nil, f.err
	}
	return nil, fmt.Errorf("%w: no session %q", daemon.ErrNotFound, name)
}

// dialExec opens the exec stream as a client with the given headers.
func dialExec(t *testing.T, srv *httptest.Server, header http.Header) (*termwire.Conn, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	ws, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+Prefix+"/projects/web/exec",
		&websocket.DialOptions{Host: "localhost:8090", HTTPHeader: header})
	if err != nil {
		return nil, resp, err
	}
	t.Cleanup(func() { ws.CloseNow() })
	return termwire.NewConn(ws), resp, nil
}

// run sends a start message and collects the streams until exit or error.
func run(t *testing.T, c *termwire.Conn, start termwire.Control, input ...any) (stdout, stderr string, end termwire.Control) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, c.Send(ctx, start))
	for _, in := range input {
		switch v := in.(type) {
		case string:
			require.NoError(t, c.Data(ctx, termwire.Stdin, []byte(v)))
		case termwire.Control:
			require.NoError(t, c.Send(ctx, v))
		}
	}
	var out, errOut bytes.Buffer
	for {
		m, err := c.Read(ctx)
		require.NoError(t, err, "the stream ended without exit or error")
		if m.Control == nil {
			if m.Stream == termwire.Stderr {
				errOut.Write(m.Data)
			} else {
				out.Write(m.Data)
			}
			continue
		}
		if m.Control.Type == termwire.TypeExit || m.Control.Type == termwire.TypeError {
			return out.String(), errOut.String(), *m.Control
		}
	}
}

// quietLog: a hijacked stream's handler may still log after its test
// ended, which a test's own logger must not see.
var quietLog = slog.New(slog.DiscardHandler)

func bearer() http.Header {
	return http.Header{"Authorization": {"Bearer " + testToken}}
}

func TestExecStreamsAndPassesTheExitCode(t *testing.T) {
	srv := httptest.NewServer(NewServer(newFakeService(), NewAuth(testToken, testOrigin), quietLog))
	defer srv.Close()
	big := strings.Repeat("0123456789abcdef", 300<<10/16) // many chunks

	tests := []struct {
		name       string
		start      termwire.Control
		input      []any
		out, err   string
		code       int
		errMessage string
	}{
		{"exit code", termwire.Control{Type: "start", Cmd: []string{"exit", "3"}}, nil, "", "", 3, ""},
		{"stdin to its end", termwire.Control{Type: "start", Cmd: []string{"cat"}, Stdin: true},
			[]any{"hello ", big, termwire.Control{Type: termwire.TypeEOF}}, "hello " + big, "", 0, ""},
		{"stderr apart", termwire.Control{Type: "start", Cmd: []string{"err"}}, nil, "", "oops", 1, ""},
		{"size at start", termwire.Control{Type: "start", Cmd: []string{"size"}, TTY: true, Rows: 33, Cols: 111}, nil, "33 111\n", "", 0, ""},
		{"size later", termwire.Control{Type: "start", Cmd: []string{"size"}, TTY: true},
			[]any{termwire.Control{Type: termwire.TypeResize, Rows: 40, Cols: 120}}, "40 120\n", "", 0, ""},
		{"bad start", termwire.Control{Type: "start", Cmd: []string{""}}, nil, "", "", 0, "the command's name is empty"},
		{"bad size", termwire.Control{Type: "start", Cmd: []string{"cat"}, Rows: 5000, Cols: 10}, nil, "", "", 0, "out of range"},
		{"not a start", termwire.Control{Type: "resize"}, nil, "", "", 0, `must be {"type":"start"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, err := dialExec(t, srv, bearer())
			require.NoError(t, err)
			out, errOut, end := run(t, c, tt.start, tt.input...)
			if tt.errMessage != "" {
				require.Equal(t, termwire.TypeError, end.Type)
				require.Contains(t, end.Message, tt.errMessage)
				return
			}
			require.Equal(t, termwire.TypeExit, end.Type, end.Message)
			require.Equal(t, tt.code, *end.Code)
			require.Equal(t, len(tt.out), len(out))
			require.Equal(t, tt.out, out)
			require.Equal(t, tt.err, errOut)
		})
	}
}

// A caller without the token, with a wrong one, a page on another origin,
// or the browser's cookie without an Origin cannot open a terminal.
func TestExecRefusesWhoeverIsNotTheUser(t *testing.T) {
	auth := NewAuth(testToken, testOrigin)
	cookie := loginSession(t, auth)
	svc := newFakeService()

	// The attack, with the guard switched off: the bare router runs the
	// command for anyone who connects.
	bare := httptest.NewServer(newServer(svc, auth, quietLog).routes())
	defer bare.Close()
	c, _, err := dialExec(t, bare, nil)
	require.NoError(t, err)
	_, _, end := run(t, c, termwire.Control{Type: "start", Cmd: []string{"exit", "5"}})
	require.Equal(t, 5, *end.Code, "without the guard, an anonymous caller runs commands")

	srv := httptest.NewServer(NewServer(svc, auth, quietLog))
	defer srv.Close()
	tests := []struct {
		name   string
		header http.Header
		status int
	}{
		{"no credential", nil, http.StatusUnauthorized},
		{"wrong token", http.Header{"Authorization": {"Bearer " + strings.Repeat("0", 64)}}, http.StatusUnauthorized},
		{"token of another scheme", http.Header{"Authorization": {"Basic " + testToken}}, http.StatusUnauthorized},
		{"another site's page with the token", http.Header{"Authorization": {"Bearer " + testToken}, "Origin": {"http://evil.example"}}, http.StatusForbidden},
		{"a preview's page with the cookie", http.Header{"Cookie": {SessionCookie + "=" + cookie}, "Origin": {"http://abc-claude-code-5173.localhost:8090"}}, http.StatusForbidden},
		{"the cookie without an Origin", http.Header{"Cookie": {SessionCookie + "=" + cookie}}, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := svc.calls.Load()
			_, resp, err := dialExec(t, srv, tt.header)
			require.Error(t, err)
			require.NotNil(t, resp)
			require.Equal(t, tt.status, resp.StatusCode)
			require.Equal(t, before, svc.calls.Load(), "nothing reached the daemon")
		})
	}

	// The UI's own page with its cookie may.
	c, _, err = dialExec(t, srv, http.Header{"Cookie": {SessionCookie + "=" + cookie}, "Origin": {testOrigin}})
	require.NoError(t, err)
	_, _, end = run(t, c, termwire.Control{Type: "start", Cmd: []string{"exit", "0"}})
	require.Equal(t, 0, *end.Code)
}

func TestAttachToAnUnknownSessionIsRefusedBeforeTheUpgrade(t *testing.T) {
	srv := httptest.NewServer(NewServer(newFakeService(), NewAuth(testToken, testOrigin), quietLog))
	defer srv.Close()
	_, resp, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http")+Prefix+"/projects/web/sessions/nope/attach",
		&websocket.DialOptions{Host: "localhost:8090", HTTPHeader: bearer()})
	require.Error(t, err)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	b, _ := io.ReadAll(resp.Body)
	require.Contains(t, string(b), `no session \"nope\"`)
}
