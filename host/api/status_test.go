package api

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/proxy"
)

func TestDaemonStatusCountsPreviewRequests(t *testing.T) {
	stats := proxy.Stats{Fast: true, FastPath: 3, EventLoop: 40, Server: 2}
	h := NewServer(newFakeService(), NewAuth(testToken, testOrigin), testLogger(t),
		WithPreviewStats(func() proxy.Stats { return stats }))
	rec := do(t, h, request{method: "GET", path: Prefix + "/status"})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.JSONEq(t, `{"previews":{"fast":true,"fastPath":3,"eventLoop":40,"server":2}}`, rec.Body.String())

	rec = do(t, newTestServer(t, newFakeService()), request{method: "GET", path: Prefix + "/status"})
	var st DaemonStatus
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &st))
	require.Nil(t, st.Previews, "no proxy, no counts")
}
