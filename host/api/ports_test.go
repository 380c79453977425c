package api

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/daemon"
	"github.com/warden-sh/warden/shared"
)

func (f *fakeService) Ports(ctx context.Context, ref string) (daemon.Ports, error) {
	f.seen(ref)
	return daemon.Ports{
		ID: "a1b2c3d4e5f6", Name: "web", AgentType: "claude-code", Running: true,
		Declared: []int{3000, 5173},
		Listening: []shared.ListeningPort{
			{Port: 5173, Addresses: []string{"127.0.0.1"}, LoopbackOnly: true},
			{Port: 9229, Addresses: []string{"0.0.0.0"}},
		},
	}, f.err
}

func TestProjectPorts(t *testing.T) {
	svc := newFakeService()
	h := newTestServer(t, svc)
	rec := do(t, h, request{method: "GET", path: "/api/v1/projects/web/ports", host: "localhost:8090"})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var got PortsAnswer
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	require.Equal(t, []int{3000, 5173}, got.Declared)
	require.Equal(t, []PreviewChip{
		{Port: 3000, URL: "http://a1b2c3d4e5f6-claude-code-3000.localhost:8090/", Declared: true},
		{Port: 5173, URL: "http://a1b2c3d4e5f6-claude-code-5173.localhost:8090/", Declared: true, Listening: true, LoopbackOnly: true},
		{Port: 9229, URL: "http://a1b2c3d4e5f6-claude-code-9229.localhost:8090/", Listening: true},
	}, got.Previews)

	svc.err = daemon.ErrNotFound
	rec = do(t, h, request{method: "GET", path: "/api/v1/projects/nope/ports"})
	require.Equal(t, http.StatusNotFound, rec.Code)
}
