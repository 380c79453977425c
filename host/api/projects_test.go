package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/warden-sh/warden/host/daemon"
	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/shared"
)

func TestRoutes(t *testing.T) {
	tests := []struct {
		method, path, body string
		code               int
		ref                string
	}{
		{"GET", "/api/v1/health", "", http.StatusOK, ""},
		{"GET", "/api/v1/presets", "", http.StatusOK, ""},
		{"GET", "/api/v1/projects", "", http.StatusOK, ""},
		{"POST", "/api/v1/projects", `{"name":"web","workspace":"/w","agentType":"codex"}`, http.StatusCreated, ""},
		{"GET", "/api/v1/projects/web", "", http.StatusOK, "web"},
		{"PATCH", "/api/v1/projects/a1b2c3d4e5f6", `{"addDomains":["example.org"]}`, http.StatusOK, "a1b2c3d4e5f6"},
		{"DELETE", "/api/v1/projects/web", "", http.StatusNoContent, "web"},
		{"POST", "/api/v1/projects/web/start", "", http.StatusOK, "web"},
		{"POST", "/api/v1/projects/web/stop", "", http.StatusOK, "web"},
		{"POST", "/api/v1/projects/web/restart", "", http.StatusOK, "web"},
		{"GET", "/api/v1/projects/web/status", "", http.StatusOK, "web"},
		{"GET", "/api/v1/projects/my%20app/events", "", http.StatusOK, "my app"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			svc := newFakeService()
			rec := do(t, newTestServer(t, svc), request{method: tt.method, path: tt.path, body: tt.body})
			require.Equal(t, tt.code, rec.Code, rec.Body.String())
			if tt.path != "/api/v1/health" {
				require.Equal(t, int64(1), svc.calls.Load())
			}
			require.Equal(t, tt.ref, svc.ref)
			if tt.code != http.StatusNoContent {
				require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
				require.True(t, json.Valid(rec.Body.Bytes()))
			}
		})
	}
}

func TestUnknownRoute(t *testing.T) {
	svc := newFakeService()
	rec := do(t, newTestServer(t, svc), request{method: "GET", path: "/api/v1/nope"})
	require.Equal(t, http.StatusNotFound, rec.Code)
	require.Contains(t, errorBody(t, rec).Message, "/api/v1/nope")
}

func TestCreateDecodesSpec(t *testing.T) {
	svc := newFakeService()
	rec := do(t, newTestServer(t, svc), request{method: "POST", path: "/api/v1/projects",
		body: `{"name":"web","workspace":"/w","agentType":"codex","runtimes":["go"],"mode":"none","domains":[],"ports":[5173],"env":{"A":"b"},"allowSharedSuffixes":true}`})
	require.Equal(t, http.StatusCreated, rec.Code)
	require.Equal(t, "/api/v1/projects/a1b2c3d4e5f6", rec.Header().Get("Location"))
	require.Equal(t, project.Spec{
		Name: "web", Workspace: "/w", AgentType: "codex", Runtimes: []string{"go"}, Mode: shared.ModeNone,
		Domains: &[]string{}, Ports: []int{5173}, Env: map[string]string{"A": "b"}, AllowSharedSuffixes: true,
	}, svc.spec, "an empty domains list is kept apart from no list")
	var p project.Project
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p))
	require.Equal(t, "a1b2c3d4e5f6", p.ID)
}

func TestUpdateAnswersProjectAndPush(t *testing.T) {
	svc := newFakeService()
	svc.push = daemon.PushResult{Pending: true, Error: "the sidecar is not reachable"}
	rec := do(t, newTestServer(t, svc), request{method: "PATCH", path: "/api/v1/projects/web",
		body: `{"mode":"restricted","addDomains":["!gist.github.com","amazonaws.com"],"removeDomains":["npmjs.org"],"addPorts":[3000],"allowSharedSuffixes":true}`})
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, project.Patch{
		Mode: ptr(shared.ModeRestricted), AddDomains: []string{"!gist.github.com", "amazonaws.com"}, RemoveDomains: []string{"npmjs.org"},
		AddPorts: []int{3000}, AllowSharedSuffixes: true,
	}, svc.patch)
	var got struct {
		Project project.Project `json:"project"`
		Push    map[string]any  `json:"push"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	require.Equal(t, "web", got.Project.Name)
	require.Equal(t, map[string]any{"applied": false, "pending": true, "error": "the sidecar is not reachable"}, got.Push)
}

func TestBodyRefusals(t *testing.T) {
	tests := []struct {
		name, body, contentType string
		code                    int
		field, has              string
	}{
		{"unknown field", `{"name":"web","workspce":"/w"}`, "", http.StatusBadRequest, "workspce", "unknown field"},
		{"wrong type", `{"name":"web","ports":"5173"}`, "", http.StatusBadRequest, "ports", "a list"},
		{"wrong element type", `{"name":"web","ports":["x"]}`, "", http.StatusBadRequest, "ports", "a number"},
		{"not json", `name=web`, "", http.StatusBadRequest, "", "not valid JSON"},
		{"truncated", `{"name":"web"`, "", http.StatusBadRequest, "", "ends in the middle"},
		{"two objects", `{"name":"a"}{"name":"b"}`, "", http.StatusBadRequest, "", "after the JSON object"},
		{"form post", `{"name":"web"}`, "text/plain", http.StatusUnsupportedMediaType, "", "text/plain"},
		{"form urlencoded", `{"name":"web"}`, "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType, "", "application/json"},
		{"too large", `{"name":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, "", http.StatusRequestEntityTooLarge, "", "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := newFakeService()
			rec := do(t, newTestServer(t, svc), request{method: "POST", path: "/api/v1/projects", body: tt.body, contentType: tt.contentType})
			require.Equal(t, tt.code, rec.Code, rec.Body.String())
			e := errorBody(t, rec)
			require.Equal(t, tt.field, e.Field)
			require.Contains(t, e.Message, tt.has)
			require.Zero(t, svc.calls.Load())
		})
	}
}

func TestPatchWithoutBody(t *testing.T) {
	svc := newFakeService()
	rec := do(t, newTestServer(t, svc), request{method: "PATCH", path: "/api/v1/projects/web", contentType: "application/json", header: map[string]string{"Content-Type": "application/json"}})
	require.Equal(t, http.StatusBadRequest, rec.Code)
	require.Contains(t, errorBody(t, rec).Message, "empty")
}

func TestErrorMapping(t *testing.T) {
	tests := []struct {
		name         string
		err          error
		code         int
		field, value string
	}{
		{"field error", &project.FieldError{Field: "domains", Value: "https://github.com", Message: "looks like a URL; expect a domain name"},
			http.StatusBadRequest, "domains", "https://github.com"},
		{"wrapped field error", fmt.Errorf("updating: %w", &project.FieldError{Field: "ports", Value: "0", Message: "expect 1 to 65535"}),
			http.StatusBadRequest, "ports", "0"},
		{"not found", fmt.Errorf("%w: no project has the id or name %q", daemon.ErrNotFound, "nope"), http.StatusNotFound, "", ""},
		{"conflict", fmt.Errorf("%w: the name %q is already used", daemon.ErrConflict, "web"), http.StatusConflict, "", ""},
		{"other", errors.New("docker: connection refused"), http.StatusInternalServerError, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := newFakeService()
			svc.err = tt.err
			rec := do(t, newTestServer(t, svc), request{method: "PATCH", path: "/api/v1/projects/web", body: `{}`})
			require.Equal(t, tt.code, rec.Code)
			e := errorBody(t, rec)
			require.Equal(t, tt.field, e.Field)
			require.Equal(t, tt.value, e.Value)
			if tt.value != "" {
				require.Contains(t, e.Message, tt.value, "the message names the bad value")
				require.Contains(t, e.Message, tt.field, "and the field")
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
