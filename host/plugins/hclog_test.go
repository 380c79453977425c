package plugins

import (
	"bytes"
	"log/slog"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/require"
)

func TestHCLogAdapter(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})).With("plugin", "warden-agent-x")
	h := newHCLog(log).Named("warden-agent-x").With("id", "42")
	h.Error("plugin process exited", "plugin", "/p/warden-agent-x", "error", "exit status 2")
	h.Info("chatter")
	out := buf.String()
	require.Contains(t, out, `level=ERROR msg="plugin process exited" plugin=warden-agent-x id=42 path=/p/warden-agent-x error="exit status 2" logger=warden-agent-x`)
	require.Contains(t, out, `level=DEBUG msg=chatter`, "go-plugin's info is chatter")
	require.Equal(t, hclog.Debug, h.GetLevel())
}
