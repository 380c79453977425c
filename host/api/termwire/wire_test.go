package termwire

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheckStart(t *testing.T) {
	tests := []struct {
		name string
		c    Control
		bad  string
	}{
		{"command", Control{Type: TypeStart, Cmd: []string{"sh", "-c", "exit 3"}}, ""},
		{"the agent's command", Control{Type: TypeStart, TTY: true, Rows: 24, Cols: 80}, ""},
		{"not a start", Control{Type: TypeResize}, `must be {"type":"start"`},
		{"empty program", Control{Type: TypeStart, Cmd: []string{""}}, "name is empty"},
		{"NUL in an argument", Control{Type: TypeStart, Cmd: []string{"echo", "a\x00b"}}, "argument 1"},
		{"env without =", Control{Type: TypeStart, Env: []string{"TERM"}}, `"TERM" is not KEY=VALUE`},
		{"env without a key", Control{Type: TypeStart, Env: []string{"=x"}}, "is not KEY=VALUE"},
		{"user with a space", Control{Type: TypeStart, User: "a b"}, "is not a user name"},
		{"rows only", Control{Type: TypeStart, Rows: 24}, "out of range"},
		{"too wide", Control{Type: TypeStart, Rows: 24, Cols: MaxCols + 1}, "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckStart(tt.c)
			if tt.bad == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.bad)
		})
	}
}

// FuzzCheckStart: whatever a client sends as its start message, the check
// never panics, and what it accepts is in bounds.
func FuzzCheckStart(f *testing.F) {
	f.Add(`{"type":"start","cmd":["sh","-c","exit 3"],"tty":true,"rows":24,"cols":80}`)
	f.Add(`{"type":"start","env":["TERM=xterm"],"user":"agent"}`)
	f.Add(`{"type":"resize","rows":-1,"cols":99999}`)
	f.Fuzz(func(t *testing.T, body string) {
		var c Control
		if json.Unmarshal([]byte(body), &c) != nil {
			return
		}
		if CheckStart(c) != nil {
			return
		}
		require.Equal(t, TypeStart, c.Type)
		require.True(t, (c.Rows == 0 && c.Cols == 0) || (c.Rows >= 1 && c.Rows <= MaxRows && c.Cols >= 1 && c.Cols <= MaxCols))
		if len(c.Cmd) > 0 {
			require.NotEmpty(t, c.Cmd[0])
		}
	})
}
