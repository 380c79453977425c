package plugins

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/agent"
)

// nobody is the account the attacker uses in these tests.
const nobody = 65534

// asNobody runs a command as nobody, as another local user would.
func asNobody(t *testing.T, name string, args ...string) error {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("TestPrivileged tests need root to act as another user")
	}
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Logf("%s %v as nobody: %v: %s", name, args, err, out)
	}
	return err
}

// A parent folder others may write lets another user swap the whole
// plugins folder for one of their own; the daemon then refuses it.
func TestPrivilegedPluginsUnderAFolderOthersMayWrite(t *testing.T) {
	tmp := t.TempDir()
	// nobody may reach the folder, as it could under a shared parent.
	require.NoError(t, os.Chmod(tmp, 0o755))
	require.NoError(t, os.Chmod(filepath.Dir(tmp), 0o755))
	parent := filepath.Join(tmp, "shared")
	require.NoError(t, os.Mkdir(parent, 0o777))
	require.NoError(t, os.Chmod(parent, 0o777))
	dir := filepath.Join(parent, "plugins")
	require.NoError(t, os.Mkdir(dir, 0o755))
	install(t, bins.example, filepath.Join(dir, "warden-agent-aider"))

	// The attack: nobody moves the folder aside and puts its own there.
	require.NoError(t, asNobody(t, "mv", dir, filepath.Join(parent, "moved")))
	require.NoError(t, asNobody(t, "mkdir", dir))
	require.NoError(t, asNobody(t, "cp", filepath.Join(parent, "moved", "warden-agent-aider"), filepath.Join(dir, "warden-agent-aider")))
	require.NoError(t, asNobody(t, "chmod", "0755", dir))

	reg := agent.NewRegistry()
	m, _ := start(t, dir, reg)
	require.Len(t, m.Status(), 1)
	require.Equal(t, StateFailed, m.Status()[0].State)
	require.Contains(t, m.Status()[0].Error, "owned by user 65534", "the swapped folder is nobody's")
	require.Equal(t, []string{"claude-code", "codex"}, reg.Names(), "nothing ran")

	// Even a folder root made is refused while its parent is open to all.
	require.NoError(t, os.RemoveAll(dir))
	require.NoError(t, os.Mkdir(dir, 0o755))
	install(t, bins.example, filepath.Join(dir, "warden-agent-aider"))
	m, _ = start(t, dir, reg)
	require.Contains(t, m.Status()[0].Error, "a parent of the plugins folder "+parent+" may be changed by other users")

	// A sticky folder root owns (as /tmp is) is a safe parent.
	require.NoError(t, os.Chmod(parent, 0o777|os.ModeSticky))
	m, _ = start(t, dir, reg)
	require.Equal(t, StateRunning, statusOf(t, m, "warden-agent-aider").State)
}

func TestPrivilegedPluginOwnersAndLinks(t *testing.T) {
	for _, tc := range []struct {
		name    string
		prepare func(t *testing.T, dir string) string // returns the folder to load
		plugin  string                                // the entry whose status says why
		want    string
	}{
		{"file owned by another user", func(t *testing.T, dir string) string {
			require.NoError(t, os.Chown(filepath.Join(dir, "warden-agent-aider"), nobody, nobody))
			return dir
		}, "warden-agent-aider", "is owned by user 65534"},
		{"folder owned by another user", func(t *testing.T, dir string) string {
			require.NoError(t, os.Chown(dir, nobody, nobody))
			return dir
		}, "", "the plugins folder"},
		{"parent owned by another user", func(t *testing.T, dir string) string {
			require.NoError(t, os.Chown(filepath.Dir(dir), nobody, nobody))
			return dir
		}, "", "a parent of the plugins folder"},
		{"file is a link", func(t *testing.T, dir string) string {
			other := t.TempDir()
			install(t, bins.example, filepath.Join(other, "real"))
			require.NoError(t, os.Remove(filepath.Join(dir, "warden-agent-aider")))
			require.NoError(t, os.Symlink(filepath.Join(other, "real"), filepath.Join(dir, "warden-agent-aider")))
			return dir
		}, "warden-agent-aider", "is a symbolic link"},
		{"folder is a link", func(t *testing.T, dir string) string {
			link := filepath.Join(t.TempDir(), "plugins-link")
			require.NoError(t, os.Symlink(dir, link))
			return link
		}, "", "is a symbolic link"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if os.Geteuid() != 0 {
				t.Fatal("TestPrivileged tests need root to hand files to another user")
			}
			base := filepath.Join(t.TempDir(), "base")
			require.NoError(t, os.Mkdir(base, 0o755))
			dir := filepath.Join(base, "plugins")
			require.NoError(t, os.Mkdir(dir, 0o755))
			install(t, bins.example, filepath.Join(dir, "warden-agent-aider"))
			load := tc.prepare(t, dir)
			reg := agent.NewRegistry()
			m, _ := start(t, load, reg)
			var st Status
			if tc.plugin == "" {
				require.Len(t, m.Status(), 1)
				st = m.Status()[0]
			} else {
				st = statusOf(t, m, tc.plugin)
			}
			require.Equal(t, StateFailed, st.State)
			require.Contains(t, st.Error, tc.want)
			if tc.name != "file is a link" && tc.name != "folder is a link" {
				require.Contains(t, st.Error, "owned by user 65534")
			}
			require.Equal(t, []string{"claude-code", "codex"}, reg.Names(), "nothing ran")
		})
	}
}

// A plugin that died is checked again before it is run again.
func TestPrivilegedPluginCheckedAgainBeforeARestart(t *testing.T) {
	dir := pluginsDir(t, true)
	m, _ := start(t, dir, agent.NewRegistry())
	first := statusOf(t, m, "warden-agent-aider")
	require.Equal(t, StateRunning, first.State)

	file := filepath.Join(dir, "warden-agent-aider")
	require.NoError(t, os.Chown(file, nobody, nobody))
	require.NoError(t, syscall.Kill(first.PID, syscall.SIGKILL))
	require.Eventually(t, func() bool {
		st := statusOf(t, m, "warden-agent-aider")
		return st.State == StateRestarting && st.PID == 0 && containsAll(st.Error, "refusing to run it", "owned by user 65534")
	}, 10*time.Second, 20*time.Millisecond, "the restart is refused: %+v", statusOf(t, m, "warden-agent-aider"))

	require.NoError(t, os.Chown(file, 0, 0))
	require.Eventually(t, func() bool {
		st := statusOf(t, m, "warden-agent-aider")
		return st.State == StateRunning && st.Restarts == 1
	}, 10*time.Second, 20*time.Millisecond, "once the file is root's again it runs again")
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
