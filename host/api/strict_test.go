package api

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/project"
)

// encoding/json alone takes the last of two keys and reads null as "no
// change": a reviewer who reads the first key approves what does not apply.
func TestStrictBodiesStopWhatTheDecoderAccepts(t *testing.T) {
	const twice = `{"domains":["github.com"],"domains":["evil.example"]}`
	var p project.Patch
	require.NoError(t, json.Unmarshal([]byte(twice), &p), "the decoder alone accepts the body")
	require.Equal(t, []string{"evil.example"}, *p.Domains, "and the last key wins")
	require.NoError(t, json.Unmarshal([]byte(`null`), &p), "and null is a change of nothing")

	tests := []struct {
		name, body  string
		field, says string
	}{
		{"a key twice", twice, "domains", `field "domains" appears twice`},
		{"a nested key twice", `{"env":{"A":"1","A":"2"}}`, "env.A", `field "env.A" appears twice`},
		{"an empty key twice", `{"":1,"":2}`, "", `field "" appears twice`},
		{"null body", `null`, "", "request body is null"},
		{"null body with spaces", " \n null \n", "", "request body is null"},
		{"a null field", `{"domains":null}`, "domains", `field "domains" is null`},
		{"a null in a list", `{"addPorts":[3000,null]}`, "addPorts", `field "addPorts" is null`},
		{"empty body", "", "", "request body is empty"},
		{"blank body", "  \n", "", "request body is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := newFakeService()
			rec := do(t, newTestServer(t, svc), request{method: "PATCH", path: "/api/v1/projects/web", body: tt.body,
				header: map[string]string{"Content-Type": "application/json"}})
			require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
			e := errorBody(t, rec)
			require.Equal(t, tt.field, e.Field)
			require.Contains(t, e.Message, tt.says)
			require.Zero(t, svc.calls.Load(), "nothing changes")
		})
	}
	t.Run("the same keys in sibling objects are fine", func(t *testing.T) {
		svc := newFakeService()
		rec := do(t, newTestServer(t, svc), request{method: "POST", path: "/api/v1/projects",
			body: `{"name":"web","workspace":"/w","agentType":"codex","env":{"name":"x","A":"1"},"domains":["a.example","a.example"]}`})
		require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	})
}
