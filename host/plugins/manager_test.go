package plugins

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/agent"
)

// TestLoadReportsBrokenPluginsAndLoadsTheRest puts the example plugin among
// every kind of broken one: each broken one is reported by name with what
// is wrong, and the good ones load.
func TestLoadReportsBrokenPluginsAndLoadsTheRest(t *testing.T) {
	dir := pluginsDir(t, true, "ok", "baddomain", "badname", "badcookie", "version2", "notaplugin", "hang", "errors", "claudecode")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "warden-agent-noexec"), []byte("#!/bin/sh\n"), 0o644))
	install(t, bins.fake, filepath.Join(dir, "warden-agent-fake-writable"))
	require.NoError(t, os.Chmod(filepath.Join(dir, "warden-agent-fake-writable"), 0o777))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "README.md"), []byte("not a plugin"), 0o644))
	reg := agent.NewRegistry()

	begin := time.Now()
	m, logs := start(t, dir, reg)
	require.Less(t, time.Since(begin), 5*time.Second, "plugins start at once, not one after another")

	require.Equal(t, []string{"claude-code", "codex", "aider", "fake-ok"}, reg.Names())
	aider, ok := reg.Lookup("aider")
	require.True(t, ok)
	require.Equal(t, []string{"anthropic.com", "openai.com", "openrouter.ai"}, aider.Domains)
	cc, _ := reg.Lookup("claude-code")
	require.Equal(t, "Claude Code", cc.DisplayName, "a plugin cannot replace a built-in")

	for _, name := range []string{"warden-agent-aider", "warden-agent-fake-ok"} {
		st := statusOf(t, m, name)
		require.Equal(t, StateRunning, st.State, st.Error)
		require.NotZero(t, st.PID)
		require.True(t, alive(st.PID))
		require.False(t, st.Problem())
	}
	require.Equal(t, "aider", statusOf(t, m, "warden-agent-aider").AgentType)

	for name, want := range map[string][]string{
		"warden-agent-fake-baddomain":  {`"bad..example"`, "expect a domain name"},
		"warden-agent-fake-badname":    {`"Fake_Bad"`, "lower-case letters, digits and single dashes"},
		"warden-agent-fake-badcookie":  {"failed the handshake", "This binary is a plugin"},
		"warden-agent-fake-version2":   {"another protocol version", "Plugin version: 2", "protocol version 1"},
		"warden-agent-fake-notaplugin": {"failed the handshake", "hello, I am not a plugin"},
		"warden-agent-fake-hang":       {"did not complete the handshake in time"},
		"warden-agent-fake-errors":     {"fake plugin cannot say what it is"},
		"warden-agent-fake-claudecode": {`"claude-code" is built in`},
		"warden-agent-noexec":          {"is not executable", "chmod +x"},
		"warden-agent-fake-writable":   {"may be changed by other users", "chmod go-w"},
	} {
		t.Run(name, func(t *testing.T) {
			st := statusOf(t, m, name)
			require.Equal(t, StateFailed, st.State)
			require.True(t, st.Problem())
			require.Zero(t, st.PID)
			for _, w := range want {
				require.Contains(t, st.Error, w)
			}
			require.Contains(t, logs.String(), "plugin="+name, "reported by name in the log")
		})
	}
	for _, st := range m.Status() {
		require.NotEqual(t, "README.md", st.Name, "files without the prefix are left alone")
	}
}

func TestKilledPluginIsRestarted(t *testing.T) {
	reg := agent.NewRegistry()
	m, _ := start(t, pluginsDir(t, true), reg)
	first := statusOf(t, m, "warden-agent-aider")
	require.Equal(t, StateRunning, first.State)

	require.NoError(t, syscall.Kill(first.PID, syscall.SIGKILL))
	require.Eventually(t, func() bool {
		st := statusOf(t, m, "warden-agent-aider")
		return st.State == StateRunning && st.Restarts == 1
	}, 10*time.Second, 20*time.Millisecond)
	again := statusOf(t, m, "warden-agent-aider")
	require.NotEqual(t, first.PID, again.PID)
	require.True(t, alive(again.PID))
	require.Contains(t, again.LastExit, "exited after")
	require.Empty(t, again.Error)
	_, ok := reg.Lookup("aider")
	require.True(t, ok)
}

// TestCrashingPluginKeepsBeingRestarted: a plugin that dies after each start
// is restarted again and again, its cause reported, its type kept, and the
// other plugins are untouched.
func TestCrashingPluginKeepsBeingRestarted(t *testing.T) {
	reg := agent.NewRegistry()
	m, logs := start(t, pluginsDir(t, true, "crash"), reg)
	aider := statusOf(t, m, "warden-agent-aider")

	require.Eventually(t, func() bool {
		return statusOf(t, m, "warden-agent-fake-crash").Restarts >= 2
	}, 15*time.Second, 20*time.Millisecond)
	st := statusOf(t, m, "warden-agent-fake-crash")
	require.Contains(t, st.LastExit, "panic: fake plugin crashing on purpose")
	require.True(t, st.Problem())
	require.Contains(t, logs.String(), "plugin died; restarting it")
	_, ok := reg.Lookup("fake-crash")
	require.True(t, ok, "its type stays while it is restarted")

	now := statusOf(t, m, "warden-agent-aider")
	require.Equal(t, aider.PID, now.PID, "the other plugins are untouched")
	require.Equal(t, StateRunning, now.State)
}

func TestPluginThatDiedOnceRunsOn(t *testing.T) {
	m, _ := start(t, pluginsDir(t, false, "crashonce"), agent.NewRegistry())
	require.Eventually(t, func() bool {
		st := statusOf(t, m, "warden-agent-fake-crashonce")
		return st.State == StateRunning && st.Restarts == 1
	}, 10*time.Second, 20*time.Millisecond)
	time.Sleep(time.Second)
	st := statusOf(t, m, "warden-agent-fake-crashonce")
	require.Equal(t, StateRunning, st.State)
	require.Equal(t, 1, st.Restarts)
	require.Contains(t, st.LastExit, "exited after")
}

func TestCloseStopsEveryPlugin(t *testing.T) {
	m, _ := start(t, pluginsDir(t, true, "ok"), agent.NewRegistry())
	var pids []int
	for _, st := range m.Status() {
		pids = append(pids, st.PID)
	}
	require.NoError(t, m.Close())
	require.NoError(t, m.Close(), "twice is fine")
	for _, pid := range pids {
		require.False(t, alive(pid), "pid %d", pid)
	}
}

func TestNoFolderNoPlugins(t *testing.T) {
	reg := agent.NewRegistry()
	m, _ := start(t, filepath.Join(t.TempDir(), "missing"), reg)
	require.Empty(t, m.Status())
	require.Equal(t, []string{"claude-code", "codex"}, reg.Names())
}

func TestUnreadableFolderIsReported(t *testing.T) {
	file := filepath.Join(t.TempDir(), "plugins")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	m, _ := start(t, file, agent.NewRegistry())
	require.Len(t, m.Status(), 1)
	require.Equal(t, StateFailed, m.Status()[0].State)
	require.Contains(t, m.Status()[0].Error, "reading plugins folder")
}

func TestFolderOthersMayWriteIsRefused(t *testing.T) {
	dir := pluginsDir(t, true)
	require.NoError(t, os.Chmod(dir, 0o777))
	reg := agent.NewRegistry()
	m, _ := start(t, dir, reg)
	require.Len(t, m.Status(), 1)
	require.Contains(t, m.Status()[0].Error, "may be changed by other users")
	require.Equal(t, []string{"claude-code", "codex"}, reg.Names(), "nothing loaded from it")
}

func TestConfig(t *testing.T) {
	_, err := Start(Config{Dir: "plugins"}, agent.NewRegistry(), nil)
	require.ErrorContains(t, err, `plugins folder "plugins" is not an absolute path`)
	c := Config{Dir: "/p"}.withDefaults()
	require.Equal(t, DefaultConfig().StartTimeout, c.StartTimeout)
	require.Equal(t, time.Second, c.RestartDelay)
	require.Equal(t, time.Minute, c.MaxRestartDelay)
}
