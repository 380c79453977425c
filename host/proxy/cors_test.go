package proxy

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestProxyWithholdsCORSGrantsFromOtherOrigins(t *testing.T) {
	port := backend(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// As permissive as Vite's default for *.localhost.
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		w.Header().Set("Access-Control-Allow-Credentials", "true")
		w.Header().Set("X-Other", "kept")
	}))
	e := newEnv(t, port)
	own := "http://" + e.host(port)
	other := "http://" + Host{ProjectID: "ffffffffffff", AgentType: "claude-code", Port: port, Listen: e.listen}.Authority()

	resp := e.do(t, "GET", port, "/", map[string]string{"Origin": own})
	require.Equal(t, own, resp.Header.Get("Access-Control-Allow-Origin"), "the preview's own page keeps its grants")

	for _, origin := range []string{other, "http://evil.example"} {
		resp := e.do(t, "GET", port, "/src/secret.ts", map[string]string{"Origin": origin})
		require.Equal(t, 200, resp.StatusCode, "a simple request still reaches the dev server")
		require.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"), "but %s may not read the answer", origin)
		require.Empty(t, resp.Header.Get("Access-Control-Allow-Credentials"))
		require.Equal(t, "kept", resp.Header.Get("X-Other"))
	}
}
