package project

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
)

// A project's env values are rendered nowhere: not as JSON (answers,
// events, exports), not by fmt or slog (logs, errors).
func TestEnvValuesAreNeverRendered(t *testing.T) {
	const secret = "sk-live-0123456789"
	p := Project{ID: "a1b2c3d4e5f6", Env: Env{"API_KEY": secret}}

	// What a plain map would do: the value comes out.
	leak, err := json.Marshal(map[string]string(p.Env))
	require.NoError(t, err)
	require.Contains(t, string(leak), secret)

	b, err := json.Marshal(p)
	require.NoError(t, err)
	require.Contains(t, string(b), `"env":{"API_KEY":"set"}`)
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "project", p, "env", p.Env)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "project", p, "env", p.Env)
	for _, out := range []string{
		string(b), logs.String(),
		fmt.Sprint(p), fmt.Sprintf("%v %+v %#v %s", p, p, p, p.Env), fmt.Sprintf("%#v", p.Env), p.Env.String(),
	} {
		require.NotContains(t, out, secret)
		require.Contains(t, out, "API_KEY")
	}
	require.Equal(t, map[string]string{"API_KEY": secret}, p.Env.Values(), "the container still gets it")
}
