package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/daemon"
	"github.com/warden-sh/warden/host/project"
)

// grantFake records grant calls on top of fakeService.
type grantFake struct {
	*fakeService
	domain string
	ttl    time.Duration
	grants []project.Grant
}

func (f *grantFake) AddGrant(ctx context.Context, ref, domain string, ttl time.Duration) (daemon.GrantResult, error) {
	f.seen(ref)
	f.domain, f.ttl = domain, ttl
	now := time.Now().UTC()
	return daemon.GrantResult{
		Project: f.project,
		Grant:   project.Grant{Domain: domain, CreatedAt: now, ExpiresAt: now.Add(ttl)},
		Push:    daemon.PushResult{Applied: true, DurationMs: 2.5},
	}, f.err
}

func (f *grantFake) Grants(ctx context.Context, ref string) ([]project.Grant, error) {
	f.seen(ref)
	return f.grants, f.err
}

func (f *grantFake) RevokeGrant(ctx context.Context, ref, domain string) (project.Project, daemon.PushResult, error) {
	f.seen(ref)
	f.domain = domain
	return f.project, daemon.PushResult{Applied: true}, f.err
}

func TestAddGrantRoute(t *testing.T) {
	f := &grantFake{fakeService: newFakeService()}
	h := newTestServer(t, f)
	rec := do(t, h, request{method: "POST", path: "/api/v1/projects/web/grants", body: `{"domain":"blocked.example","ttlSeconds":3600}`})
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	require.Equal(t, "web", f.ref)
	require.Equal(t, "blocked.example", f.domain)
	require.Equal(t, time.Hour, f.ttl)
	var body struct {
		Grant struct {
			Domain      string  `json:"domain"`
			SecondsLeft float64 `json:"secondsLeft"`
		} `json:"grant"`
		Push daemon.PushResult `json:"push"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
	require.Equal(t, "blocked.example", body.Grant.Domain)
	require.InDelta(t, 3600, body.Grant.SecondsLeft, 5)
	require.True(t, body.Push.Applied)
}

func TestAddGrantRefusesBadLifetime(t *testing.T) {
	for _, ttl := range []string{"0", "-5", "604801", "99999999999999"} {
		t.Run(ttl, func(t *testing.T) {
			f := &grantFake{fakeService: newFakeService()}
			rec := do(t, newTestServer(t, f), request{method: "POST", path: "/api/v1/projects/web/grants",
				body: fmt.Sprintf(`{"domain":"blocked.example","ttlSeconds":%s}`, ttl)})
			require.Equal(t, http.StatusBadRequest, rec.Code)
			e := errorBody(t, rec)
			require.Equal(t, "ttlSeconds", e.Field)
			require.Equal(t, ttl, e.Value)
			require.Zero(t, f.calls.Load(), "the daemon is not asked")
		})
	}
}

func TestGrantRoutesNeedTheToken(t *testing.T) {
	f := &grantFake{fakeService: newFakeService()}
	h := newTestServer(t, f)
	rec := do(t, h, request{method: "POST", path: "/api/v1/projects/web/grants", auth: "-", body: `{"domain":"a.example","ttlSeconds":60}`})
	require.Equal(t, http.StatusUnauthorized, rec.Code)
	rec = do(t, h, request{method: "DELETE", path: "/api/v1/projects/web/grants/a.example", auth: "-"})
	require.Equal(t, http.StatusUnauthorized, rec.Code)
	require.Zero(t, f.calls.Load())
}

func TestListAndRevokeGrants(t *testing.T) {
	now := time.Now().UTC()
	f := &grantFake{fakeService: newFakeService(), grants: []project.Grant{
		{Domain: "a.example", CreatedAt: now, ExpiresAt: now.Add(time.Minute)},
		{Domain: "b.example", CreatedAt: now, ExpiresAt: now.Add(-time.Second)},
	}}
	h := newTestServer(t, f)
	rec := do(t, h, request{method: "GET", path: "/api/v1/projects/web/grants"})
	require.Equal(t, http.StatusOK, rec.Code)
	var list []grantView
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &list))
	require.Len(t, list, 2)
	require.InDelta(t, 60, list[0].SecondsLeft, 5)
	require.Zero(t, list[1].SecondsLeft, "time left never goes negative")

	rec = do(t, h, request{method: "DELETE", path: "/api/v1/projects/web/grants/a.example"})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Equal(t, "a.example", f.domain)

	f.err = fmt.Errorf("%w: no grant", daemon.ErrNotFound)
	rec = do(t, h, request{method: "DELETE", path: "/api/v1/projects/web/grants/zz.example"})
	require.Equal(t, http.StatusNotFound, rec.Code)
}
