package api

import (
	"encoding/json"
	"net/http"
	"testing"
)

// FuzzProjectBodies feeds arbitrary bodies to the create and edit routes:
// every answer is a success or a JSON refusal, never a crash or a 500, and a
// body reaches the daemon only when it decoded whole.
func FuzzProjectBodies(f *testing.F) {
	for _, s := range []string{
		`{"name":"web","workspace":"/w","agentType":"codex"}`,
		`{"addDomains":["github.com"],"removePorts":[3000]}`,
		`{"addDomains":["!gist.github.com","amazonaws.com"],"allowSharedSuffixes":true}`,
		`{"allowSharedSuffixes":"yes"}`,
		`{"domains":null}`, `{"env":{"A":1}}`, `[]`, `{}{}`, `{"name":"\u0000"}`, `{"ports":[1e400]}`, ``,
		`{"domains":["a.example"],"domains":["b.example"]}`, `null`, `{"":1,"":2}`, `{"env":{"A":"1","A":"2"}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, route := range []struct{ method, path string }{
			{"POST", "/api/v1/projects"},
			{"PATCH", "/api/v1/projects/web"},
		} {
			svc := newFakeService()
			h := NewServer(svc, NewAuth(testToken, testOrigin), nil)
			rec := do(t, h, request{method: route.method, path: route.path, body: body, contentType: "application/json",
				header: map[string]string{"Content-Type": "application/json"}})
			switch rec.Code {
			case http.StatusOK, http.StatusCreated:
				if svc.calls.Load() != 1 {
					t.Fatalf("%s %s answered %d without reaching the daemon", route.method, route.path, rec.Code)
				}
			case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
				if svc.calls.Load() != 0 {
					t.Fatalf("refused body reached the daemon: %q", body)
				}
				var e apiError
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Message == "" {
					t.Fatalf("refusal is not a JSON error: %q", rec.Body.String())
				}
			default:
				t.Fatalf("%s %s with %q answered %d: %s", route.method, route.path, body, rec.Code, rec.Body.String())
			}
		}
	})
}
