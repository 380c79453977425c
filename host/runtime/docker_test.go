package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/network"
	"github.com/stretchr/testify/require"
	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/sidecar/control"
)

func TestDockerStartRestricted(t *testing.T) {
	w := newDockerWorld(t)
	p := w.newProject(t)
	took := w.start(t, p)
	t.Logf("project start (sidecar ready, agent running): %s", took)

	ctx := context.Background()
	st, err := control.NewClient(w.rt.SocketPath(p.ID)).Status(ctx)
	require.NoError(t, err)
	require.True(t, st.Ready)
	require.Equal(t, shared.ModeRestricted, st.Mode)
	require.Equal(t, []string{"github.com"}, st.Domains)

	state, err := w.rt.State(ctx, p.ID)
	require.NoError(t, err)
	require.True(t, state.Running, "state: %+v", state)
	require.Empty(t, state.Error)
	require.NotEmpty(t, state.Sidecar.IP)
	require.Equal(t, state.Sidecar.IP, state.Agent.IP)

	sidecarNS, agentNS := w.netns(t, p)
	require.Equal(t, sidecarNS, agentNS, "the agent must share the sidecar's network namespace")

	sidecar, agent := w.inspect(t, sidecarName(p.ID)), w.inspect(t, agentName(p.ID))
	require.Equal(t, "container:"+sidecar.ID, string(agent.HostConfig.NetworkMode))
	require.Equal(t, "unless-stopped", string(sidecar.HostConfig.RestartPolicy.Name))
	require.False(t, sidecar.HostConfig.Privileged)
	require.False(t, agent.HostConfig.Privileged)
	require.Contains(t, agent.Config.Env, "WARDEN_TEST=1")

	// The sidecar was told about every address the host has on its side.
	var told []string
	for i, a := range sidecar.Args {
		if a == "--host-gateway" && i+1 < len(sidecar.Args) {
			told = append(told, sidecar.Args[i+1])
		}
	}
	require.Contains(t, told, sidecar.NetworkSettings.Networks["bridge"].Gateway)
	code, hosts, _ := w.run(t, p, "", "cat", "/etc/hosts")
	require.Zero(t, code)
	hostAddr := hostsEntry(hosts, "host.docker.internal")
	require.NotEmpty(t, hostAddr, "host.docker.internal is in the agent's /etc/hosts:\n%s", hosts)
	require.Contains(t, told, hostAddr)
	t.Logf("host-gateway %s; network gateway %s; sidecar told %v", hostAddr, sidecar.NetworkSettings.Networks["bridge"].Gateway, told)

	// Starting again changes nothing.
	w.start(t, p)
	require.Equal(t, sidecar.ID, w.inspect(t, sidecarName(p.ID)).ID)
	again := w.inspect(t, agentName(p.ID))
	require.Equal(t, agent.ID, again.ID)
	require.Equal(t, agent.State.StartedAt, again.State.StartedAt)

	all, err := w.rt.List(ctx)
	require.NoError(t, err)
	require.Contains(t, all, p.ID)
	require.True(t, all[p.ID].Running)
}

func TestDockerAgentCannotTouchTheRules(t *testing.T) {
	w := newDockerWorld(t)
	p := w.newProject(t)
	w.start(t, p)

	for _, tc := range []struct {
		name string
		cmd  []string
	}{
		{"iptables flush", []string{"iptables", "-F"}},
		{"iptables-nft flush", []string{"iptables-nft", "-F"}},
		{"ip6tables flush", []string{"ip6tables", "-F"}},
		{"nat flush", []string{"iptables", "-t", "nat", "-F"}},
		{"ipset flush", []string{"ipset", "flush"}},
		{"address change", []string{"ip", "addr", "add", "192.0.2.9/32", "dev", "lo"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := w.run(t, p, "root", tc.cmd...)
			require.NotZero(t, code, "as root in the agent, %v must fail; got stdout %q stderr %q", tc.cmd, out, errOut)
		})
	}
	for _, probe := range []string{"mark", "packet", "raw"} {
		t.Run("probe "+probe, func(t *testing.T) {
			code, out, _ := w.run(t, p, "root", "probe", probe)
			require.Zero(t, code)
			var res struct {
				OK    bool   `json:"ok"`
				Error string `json:"error"`
			}
			require.NoError(t, json.Unmarshal([]byte(out), &res), "probe said %q", out)
			require.False(t, res.OK, "probe %s must fail in the agent: %s", probe, out)
			t.Logf("probe %s: %s", probe, res.Error)
		})
	}
	t.Run("control socket out of sight", func(t *testing.T) {
		code, _, _ := w.run(t, p, "root", "sh", "-c", "ls /run/warden || find / -xdev -name control.sock | grep .")
		require.NotZero(t, code)
	})
	t.Run("no docker socket", func(t *testing.T) {
		code, _, _ := w.run(t, p, "root", "sh", "-c", "test -e /var/run/docker.sock || test -e /run/docker.sock")
		require.NotZero(t, code)
	})
	t.Run("the rules are still there", func(t *testing.T) {
		st, err := control.NewClient(w.rt.SocketPath(p.ID)).Status(context.Background())
		require.NoError(t, err)
		require.True(t, st.Ready)
		rules := w.sidecarRun(t, p, "iptables-save")
		require.Contains(t, rules, "REJECT")
	})
}

func TestDockerExec(t *testing.T) {
	w := newDockerWorld(t)
	p := w.newProject(t)
	w.start(t, p)

	for _, tc := range []struct {
		name           string
		user           string
		cmd            []string
		code           int
		stdout, stderr string
	}{
		{"exit code", "", []string{"sh", "-c", "exit 7"}, 7, "", ""},
		{"streams apart", "", []string{"sh", "-c", "echo out; echo err >&2"}, 0, "out\n", "err\n"},
		{"image user", "", []string{"id", "-un"}, 0, "agent\n", ""},
		{"root", "root", []string{"id", "-u"}, 0, "0\n", ""},
		{"sudo works", "", []string{"sudo", "-n", "id", "-u"}, 0, "0\n", ""},
		{"workspace", "", []string{"pwd"}, 0, "/workspace\n", ""},
		{"missing command", "", []string{"no-such-command"}, 126, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := w.run(t, p, tc.user, tc.cmd...)
			require.Equal(t, tc.code, code, "stdout %q stderr %q", out, errOut)
			if tc.code != 126 {
				require.Equal(t, tc.stdout, out)
				require.Equal(t, tc.stderr, errOut)
			}
		})
	}

	t.Run("stdin", func(t *testing.T) {
		var out bytes.Buffer
		code, err := w.rt.Exec(context.Background(), p.ID, []string{"tr", "a-z", "A-Z"},
			ExecOptions{Stdin: strings.NewReader("hello\n"), Stdout: &out})
		require.NoError(t, err)
		require.Zero(t, code)
		require.Equal(t, "HELLO\n", out.String())
	})

	t.Run("tty and resize", func(t *testing.T) {
		sizes := make(chan [2]uint, 1)
		sizes <- [2]uint{40, 120}
		var out bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		// Waits for the resize rather than racing it.
		script := `for i in $(seq 100); do [ "$(stty size)" = "40 120" ] && break; sleep 0.05; done; stty size; test -t 0; exit 3`
		code, err := w.rt.Exec(ctx, p.ID, []string{"sh", "-c", script}, ExecOptions{TTY: true, Stdout: &out, Resize: sizes})
		require.NoError(t, err)
		require.Equal(t, 3, code)
		require.Equal(t, "40 120", strings.TrimSpace(out.String()))
	})

	t.Run("file written in the workspace shows on the host", func(t *testing.T) {
		code, _, errOut := w.run(t, p, "", "sh", "-c", "echo hi > /workspace/from-agent")
		require.Zero(t, code, errOut)
		b, err := os.ReadFile(filepath.Join(p.Workspace, "from-agent"))
		require.NoError(t, err)
		require.Equal(t, "hi\n", string(b))
	})
}

func TestDockerKilledSidecarStartRestoresBoth(t *testing.T) {
	w := newDockerWorld(t)
	p := w.newProject(t)
	w.start(t, p)
	oldNS, _ := w.netns(t, p)

	ctx := context.Background()
	require.NoError(t, w.cli.ContainerKill(ctx, sidecarName(p.ID), "KILL"))
	// docker kill counts as a manual stop: unless-stopped does not bring
	// the sidecar back, and the agent stays in a namespace with no sidecar.
	time.Sleep(500 * time.Millisecond)
	st, err := w.rt.State(ctx, p.ID)
	require.NoError(t, err)
	require.False(t, st.Running)
	require.Equal(t, "exited", st.Sidecar.Status)
	require.Equal(t, "running", st.Agent.Status)
	require.NotEmpty(t, st.Error)

	took := w.start(t, p)
	t.Logf("start after the sidecar was killed: %s", took)
	st, err = w.rt.State(ctx, p.ID)
	require.NoError(t, err)
	require.True(t, st.Running, "state: %+v", st)
	require.True(t, st.Agent.StartedAt.After(st.Sidecar.StartedAt))
	sidecarNS, agentNS := w.netns(t, p)
	require.Equal(t, sidecarNS, agentNS)
	require.NotEqual(t, oldNS, sidecarNS)
}

func TestDockerCrashedSidecarIsRestartedAndWatched(t *testing.T) {
	w := newDockerWorld(t)
	p := w.newProject(t)
	w.start(t, p)
	oldNS, _ := w.netns(t, p)

	watchCtx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	seen := make(chan string, 64)
	watchDone := make(chan error, 1)
	go func() {
		watchDone <- w.rt.Watch(watchCtx, func(id, role, action string) {
			if id == p.ID {
				seen <- role + " " + action
			}
		})
	}()
	time.Sleep(200 * time.Millisecond) // let the event stream open

	// A crash, not a docker kill: the engine's restart policy applies.
	pid := w.inspect(t, sidecarName(p.ID)).State.Pid
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	var events []string
	deadline := time.After(15 * time.Second)
	for !slices.Contains(events, "sidecar start") {
		select {
		case e := <-seen:
			events = append(events, e)
		case <-deadline:
			t.Fatalf("no sidecar start event after the crash; saw %v", events)
		}
	}
	require.Contains(t, events, "sidecar die")
	t.Logf("events after the crash: %v", events)

	ctx := context.Background()
	st, err := w.rt.State(ctx, p.ID)
	require.NoError(t, err)
	require.False(t, st.Running, "the agent is in the old namespace: %+v", st)
	require.Contains(t, st.Error, "older network namespace")

	w.start(t, p)
	st, err = w.rt.State(ctx, p.ID)
	require.NoError(t, err)
	require.True(t, st.Running, "state: %+v", st)
	sidecarNS, agentNS := w.netns(t, p)
	require.Equal(t, sidecarNS, agentNS)
	require.NotEqual(t, oldNS, sidecarNS)

	stopWatch()
	require.NoError(t, <-watchDone)
}

func TestDockerStopAndRemove(t *testing.T) {
	w := newDockerWorld(t)
	p := w.newProject(t)
	w.start(t, p)
	ctx := context.Background()

	begin := time.Now()
	require.NoError(t, w.rt.Stop(ctx, p.ID))
	t.Logf("stop: %s", time.Since(begin))
	st, err := w.rt.State(ctx, p.ID)
	require.NoError(t, err)
	require.False(t, st.Running)
	require.Equal(t, "exited", st.Sidecar.Status)
	require.Equal(t, "exited", st.Agent.Status)
	require.Empty(t, st.Error, "a stopped project is not an error")
	require.NoError(t, w.rt.Stop(ctx, p.ID), "stopping again")

	// A stopped project starts again with its containers.
	w.start(t, p)
	st, err = w.rt.State(ctx, p.ID)
	require.NoError(t, err)
	require.True(t, st.Running)

	require.NoError(t, w.rt.Remove(ctx, p.ID))
	st, err = w.rt.State(ctx, p.ID)
	require.NoError(t, err)
	require.Equal(t, StatusMissing, st.Sidecar.Status)
	require.Equal(t, StatusMissing, st.Agent.Status)
	_, err = os.Stat(w.rt.SocketDir(p.ID))
	require.ErrorIs(t, err, os.ErrNotExist)
	require.NoError(t, w.rt.Remove(ctx, p.ID), "removing again")
	require.NoError(t, w.rt.Stop(ctx, p.ID), "stopping what is gone")
	all, err := w.rt.List(ctx)
	require.NoError(t, err)
	require.NotContains(t, all, p.ID)
}

func TestDockerOwnNetworkGetsBothGateways(t *testing.T) {
	cli, err := newDockerClient()
	require.NoError(t, err)
	defer cli.Close()
	ctx := context.Background()
	name := "warden-test-" + project.NewID()
	_, err = cli.NetworkCreate(ctx, name, network.CreateOptions{Labels: map[string]string{"warden.test": "1"}})
	require.NoError(t, err, "creating a test network")
	t.Cleanup(func() {
		if err := cli.NetworkRemove(context.Background(), name); err != nil {
			t.Errorf("removing network %s: %v", name, err)
		}
	})
	w := newDockerWorld(t, func(c *Config) { c.Network = name })
	p := w.newProject(t)
	w.start(t, p)

	sidecar := w.inspect(t, sidecarName(p.ID))
	netGW := sidecar.NetworkSettings.Networks[name].Gateway
	require.NotEmpty(t, netGW)
	_, hosts, _ := w.run(t, p, "", "cat", "/etc/hosts")
	hostGW := hostsEntry(hosts, "host.docker.internal")
	require.NotEmpty(t, hostGW)
	require.NotEqual(t, hostGW, netGW, "on its own network the sidecar's gateway is not the default bridge's")
	var told []string
	for i, a := range sidecar.Args {
		if a == "--host-gateway" {
			told = append(told, sidecar.Args[i+1])
		}
	}
	require.ElementsMatch(t, []string{hostGW, netGW}, told)
	st, err := w.rt.State(ctx, p.ID)
	require.NoError(t, err)
	require.True(t, st.Running)
	require.Equal(t, sidecar.NetworkSettings.Networks[name].IPAddress, st.Sidecar.IP)
	t.Logf("network %s: host-gateway %s, network gateway %s", name, hostGW, netGW)
}

func TestDockerRefusesMissingImage(t *testing.T) {
	w := newDockerWorld(t)
	p := w.newProject(t)
	p.Image = "warden-no-such-image:latest"
	err := w.rt.Start(context.Background(), p)
	require.ErrorContains(t, err, "warden-no-such-image:latest")
	require.ErrorContains(t, err, "make images")
}
