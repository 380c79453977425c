package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/project"
)

// fakeAPI records requests and answers like the daemon would.
type fakeAPI struct {
	mu       sync.Mutex
	requests []string
	bodies   []string
	auth     []string
	projects []project.Project
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.URL.RequestURI()+" host="+r.Host)
	f.bodies = append(f.bodies, string(body))
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	path := strings.TrimPrefix(r.URL.Path, "/api/v1")
	switch {
	case r.Method == "GET" && path == "/projects":
		_ = json.NewEncoder(w).Encode(f.projects)
	case r.Method == "GET" && path == "/status":
		_, _ = io.WriteString(w, `{"previews":{"fast":false,"fastPath":0,"eventLoop":0,"server":7}}`)
	case r.Method == "GET" && strings.HasPrefix(path, "/projects/"):
		id := strings.TrimPrefix(path, "/projects/")
		for _, p := range f.projects {
			if p.ID == id {
				_ = json.NewEncoder(w).Encode(p)
				return
			}
		}
		w.WriteHeader(404)
		_, _ = io.WriteString(w, `{"error":"no project `+id+`"}`)
	case r.Method == "PATCH":
		if strings.Contains(string(body), "http://") {
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `{"error":"invalid domain entry \"http://x.example\": looks like a URL","field":"domains"}`)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"project": f.projects[0], "push": map[string]any{"applied": true, "durationMs": 1.5}})
	default:
		w.WriteHeader(500)
	}
}

func run(t *testing.T, addr, data string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Execute(context.Background(), nil, append([]string{"--addr", addr, "--data", data}, args...), strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), code
}

func newFake(t *testing.T) (*fakeAPI, string, string) {
	f := &fakeAPI{projects: []project.Project{
		{ID: "a1b2c3d4e5f6", Name: "web", AgentType: "claude-code", Mode: "restricted", Domains: []string{"github.com"}, Ports: []int{5173}},
		{ID: "0123456789ab", Name: "twin", Mode: "none"},
		{ID: "ba9876543210", Name: "twin", Mode: "none"},
	}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	data := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(data, "token"), []byte(testToken+"\n"), 0o600))
	return f, strings.TrimPrefix(srv.URL, "http://"), data
}

func TestDomainsAddSendsPatchWithToken(t *testing.T) {
	f, addr, data := newFake(t)
	out, errOut, code := run(t, addr, data, "domains", "add", "web", "npmjs.org", "pypi.org")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "applied it in 1.5 ms")
	require.Contains(t, f.requests, "PATCH /api/v1/projects/a1b2c3d4e5f6 host=localhost:"+portOf(addr))
	require.Contains(t, f.bodies, `{"addDomains":["npmjs.org","pypi.org"]}`)
	require.Contains(t, f.auth, "Bearer "+testToken)
}

func TestDomainsAddDenyEntriesAndSharedSuffixes(t *testing.T) {
	f, addr, data := newFake(t)
	_, errOut, code := run(t, addr, data, "domains", "add", "web", "!gist.github.com", "amazonaws.com", "--allow-shared-suffixes")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, f.bodies, `{"addDomains":["!gist.github.com","amazonaws.com"],"allowSharedSuffixes":true}`)

	_, errOut, code = run(t, addr, data, "domains", "set", "web", "github.com", "!gist.github.com")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, f.bodies, `{"domains":["github.com","!gist.github.com"]}`, "no intent unless asked")

	_, errOut, code = run(t, addr, data, "domains", "rm", "web", "amazonaws.com", "--allow-shared-suffixes")
	require.Equal(t, 1, code, "removing needs no intent")
	require.Contains(t, errOut, "unknown flag: --allow-shared-suffixes")
}

func TestErrorsAreClear(t *testing.T) {
	_, addr, data := newFake(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"api refusal names the entry", []string{"domains", "add", "web", "http://x.example"}, `invalid domain entry "http://x.example"`},
		{"unknown project", []string{"domains", "ls", "nope"}, `no project with id or name "nope"`},
		{"ambiguous name", []string{"domains", "ls", "twin"}, "2 projects are named \"twin\""},
		{"bad port", []string{"ports", "add", "web", "70000"}, `bad port "70000"; expect a number from 1 to 65535`},
		{"leading zero port", []string{"ports", "add", "web", "080"}, `bad port "080"`},
		{"bad mode", []string{"mode", "web", "open"}, `unknown network mode "open"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := run(t, addr, data, tt.args...)
			require.Equal(t, 1, code)
			require.Contains(t, errOut, tt.want)
		})
	}
}

func TestDaemonNotRunning(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	_, errOut, code := run(t, addr, t.TempDir(), "project", "ls")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "the Warden daemon is not running at "+addr)
}

func TestReadCommandsPrintJSON(t *testing.T) {
	_, addr, data := newFake(t)
	out, errOut, code := run(t, addr, data, "project", "ls", "--json")
	require.Equal(t, 0, code, errOut)
	var ps []project.Project
	require.NoError(t, json.Unmarshal([]byte(out), &ps))
	require.Len(t, ps, 3)

	out, _, code = run(t, addr, data, "domains", "ls", "a1b2c3d4e5f6", "--json")
	require.Equal(t, 0, code)
	require.JSONEq(t, `["github.com"]`, out)
}

const testToken = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

func TestHostportsAndCutSendTheirPatches(t *testing.T) {
	f, addr, data := newFake(t)
	for _, tc := range []struct {
		args []string
		body string
	}{
		{[]string{"hostports", "set", "web", "5432", "3000"}, `{"hostAccess":"ports","hostPorts":[5432,3000]}`},
		{[]string{"hostports", "none", "web"}, `{"hostAccess":"none"}`},
		{[]string{"hostports", "all", "web"}, `{"hostAccess":"all"}`},
		{[]string{"domains", "rm", "--cut", "web", "pypi.org"}, `{"removeDomains":["pypi.org"],"cutConnections":true}`},
		{[]string{"domains", "rm", "web", "pypi.org"}, `{"removeDomains":["pypi.org"]}`},
	} {
		_, errOut, code := run(t, addr, data, tc.args...)
		require.Equal(t, 0, code, errOut)
		require.Contains(t, f.bodies, tc.body, "%v", tc.args)
	}
	_, errOut, code := run(t, addr, data, "hostports", "set", "web", "0")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, `bad port "0"`)
}

func TestCommandsUseTheSocketByDefault(t *testing.T) {
	f := &fakeAPI{projects: []project.Project{{ID: "a1b2c3d4e5f6", Name: "web"}}}
	data, err := os.MkdirTemp("", "wcli") // short: unix socket paths are capped
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(data) })
	ln, err := net.Listen("unix", filepath.Join(data, "warden.sock"))
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(f)
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	t.Setenv("WARDEN_ADDR", "")

	var out, errOut bytes.Buffer
	code := Execute(context.Background(), nil, []string{"--data", data, "project", "ls", "--json"}, strings.NewReader(""), &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	require.Contains(t, out.String(), "a1b2c3d4e5f6")
	require.Equal(t, []string{""}, f.auth, "over the socket no token is sent")
}

func TestTokenFromTheEnvironmentOverTCP(t *testing.T) {
	f, addr, data := newFake(t)
	const other = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
	t.Setenv("WARDEN_TOKEN", other)
	_, errOut, code := run(t, addr, data, "project", "ls")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, []string{"Bearer " + other}, f.auth, "WARDEN_TOKEN wins over the token file")
}

func TestNoSocketSaysTheDaemonIsDown(t *testing.T) {
	c := newSocketClient("/proc/self/nope/warden.sock")
	_, err := c.send(context.Background(), "GET", "/projects", nil)
	require.ErrorIs(t, err, errDaemonDown)
	require.ErrorContains(t, err, "/proc/self/nope/warden.sock")
}

func TestProjectEnvEditsOneVariable(t *testing.T) {
	f, addr, data := newFake(t)
	_, errOut, code := run(t, addr, data, "project", "env", "web", "set", "API_KEY=s3cret", "B=2")
	require.Equal(t, 0, code, errOut)
	_, errOut, code = run(t, addr, data, "project", "env", "web", "unset", "B")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, f.bodies, `{"setEnv":{"API_KEY":"s3cret","B":"2"}}`)
	require.Contains(t, f.bodies, `{"unsetEnv":["B"]}`)

	for args, want := range map[string]string{
		"web open":  `unknown env action "open"`,
		"web set":   "at least one KEY=VALUE",
		"web set X": `bad variable "X"; expect KEY=VALUE`,
		"web unset": "at least one KEY",
	} {
		_, errOut, code := run(t, addr, data, append([]string{"project", "env"}, strings.Fields(args)...)...)
		require.Equal(t, 1, code, args)
		require.Contains(t, errOut, want, args)
	}
}

func TestProjectEditPreviewCSPSwitch(t *testing.T) {
	f, addr, data := newFake(t)
	_, errOut, code := run(t, addr, data, "project", "edit", "web", "--preview-csp=false")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, f.bodies, `{"previewCspOff":true}`)
	require.Contains(t, errOut, "WARNING: previews without Warden's Content-Security-Policy")
	_, errOut, code = run(t, addr, data, "project", "edit", "web", "--preview-csp")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, f.bodies, `{"previewCspOff":false}`)
	_, errOut, code = run(t, addr, data, "project", "edit", "web", "--name", "site")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, `{"name":"site"}`, f.bodies[len(f.bodies)-1], "left as it is unless given")
}

func TestDaemonStatusShowsPreviewCounts(t *testing.T) {
	_, addr, data := newFake(t)
	out, errOut, code := run(t, addr, data, "status")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "preview fast paths  off (warden serve --preview-fast=false)")
	require.Contains(t, out, "preview requests    fast path 0, event loop 0, server 7")
}
