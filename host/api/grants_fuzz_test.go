package api

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/warden-sh/warden/host/project"
)

// FuzzGrantBody feeds arbitrary bodies to POST .../grants: every answer is
// a grant or a JSON refusal, and the daemon only ever sees a lifetime
// within the bounds.
func FuzzGrantBody(f *testing.F) {
	for _, s := range []string{
		`{"domain":"blocked.example","ttlSeconds":3600}`, `{"domain":"a.example","ttlSeconds":0}`,
		`{"domain":"a.example","ttlSeconds":-1}`, `{"domain":"a.example","ttlSeconds":1e400}`,
		`{"domain":"a.example","ttlSeconds":9223372036854775807}`, `{"domain":"a.example","ttlSeconds":"60"}`,
		`{"domain":"a.example"}`, `{"ttl":60}`, `[]`, ``,
		`{"domain":"!a.example","ttlSeconds":60}`, `{"domain":"amazonaws.com","ttlSeconds":60}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		svc := &grantFake{fakeService: newFakeService()}
		rec := do(t, NewServer(svc, NewAuth(testToken, testOrigin), nil), request{method: "POST", path: "/api/v1/projects/web/grants", body: body,
			header: map[string]string{"Content-Type": "application/json"}})
		switch rec.Code {
		case http.StatusCreated:
			if svc.calls.Load() != 1 || svc.ttl < project.MinGrantTTL || svc.ttl > project.MaxGrantTTL || svc.ttl%time.Second != 0 {
				t.Fatalf("the daemon got a lifetime of %s from %q", svc.ttl, body)
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
			t.Fatalf("%q answered %d: %s", body, rec.Code, rec.Body.String())
		}
	})
}
