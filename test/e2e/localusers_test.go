package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// localUser is a throwaway account on this machine, made by the test.
type localUser struct {
	name     string
	uid, gid uint32
	groups   []uint32
}

// newGroup adds a group for the test and removes it after.
func newGroup(t *testing.T, name string) uint32 {
	t.Helper()
	out, err := exec.Command("groupadd", "--system", name).CombinedOutput()
	require.NoError(t, err, "this test needs root to add a group: %s", out)
	t.Cleanup(func() { _ = exec.Command("groupdel", name).Run() })
	g, err := user.LookupGroup(name)
	require.NoError(t, err)
	gid, err := strconv.Atoi(g.Gid)
	require.NoError(t, err)
	return uint32(gid)
}

// newLocalUser adds a user (in groups, when given) and removes it after.
func newLocalUser(t *testing.T, name string, groups ...string) localUser {
	t.Helper()
	args := []string{"--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group"}
	if len(groups) > 0 {
		args = append(args, "--groups", strings.Join(groups, ","))
	}
	out, err := exec.Command("useradd", append(args, name)...).CombinedOutput()
	require.NoError(t, err, "this test needs root to add a user: %s", out)
	t.Cleanup(func() { _ = exec.Command("userdel", name).Run() })
	u, err := user.Lookup(name)
	require.NoError(t, err)
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	lu := localUser{name: name, uid: uint32(uid), gid: uint32(gid)}
	gids, err := u.GroupIds()
	require.NoError(t, err)
	for _, g := range gids {
		n, _ := strconv.Atoi(g)
		lu.groups = append(lu.groups, uint32(n))
	}
	return lu
}

// run runs a program as the user and returns its output and error.
func (u localUser) run(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: u.uid, Gid: u.gid, Groups: u.groups}}
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent"}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// openToAll makes path and its parents up to /tmp traversable by anyone,
// so that only the daemon's own modes stand between a user and its files.
func openToAll(t *testing.T, path string) {
	t.Helper()
	for p := path; p != "/" && p != os.TempDir(); p = filepath.Dir(p) {
		info, err := os.Stat(p)
		require.NoError(t, err)
		require.NoError(t, os.Chmod(p, info.Mode().Perm()|0o011))
	}
}

// A second local user gets neither the token, nor the unix socket, nor any
// route. A member of the socket's group gets the socket (and so Warden),
// and still not the token.
func TestDockerPrivilegedSecondLocalUserReachesNothing(t *testing.T) {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	suffix := hex.EncodeToString(b)
	group := "wdn-e2e-" + suffix
	newGroup(t, group)
	member := newLocalUser(t, "wdn-m-"+suffix, group)
	outsider := newLocalUser(t, "wdn-o-"+suffix)

	w := newWorld(t, "--socket-group", group)
	openToAll(t, filepath.Dir(w.data))
	// The CLI, where every user may run it.
	binDir := t.TempDir()
	warden := filepath.Join(binDir, "warden")
	copyFile(t, bins.warden, warden, 0o755)
	openToAll(t, binDir)
	id := w.createProject("none")

	info, err := os.Stat(filepath.Join(w.data, "warden.sock"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o660), info.Mode().Perm(), "the socket is for its owner and group")
	data, err := os.Stat(w.data)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o710), data.Mode().Perm(), "the group may reach the socket and list nothing")

	// The socket works for the group: the same command, the same path.
	out, err := member.run(warden, "--data", w.data, "project", "ls")
	require.NoError(t, err, out)
	require.Contains(t, out, id, "a member of the group uses Warden over the socket")

	out, err = outsider.run(warden, "--data", w.data, "project", "ls")
	require.Error(t, err)
	require.Contains(t, out, "permission denied", "the socket refuses a user outside its group")
	require.NotContains(t, out, id)

	for _, u := range []localUser{member, outsider} {
		out, err = u.run("cat", filepath.Join(w.data, "token"))
		require.Error(t, err, "%s read the token: %s", u.name, out)
		require.NotContains(t, out, w.token())
	}

	// Over TCP, without the token, every call is refused and nothing leaks.
	for _, args := range [][]string{{"project", "ls"}, {"status", id}, {"presets"}, {"ui", "--no-open"}} {
		out, err = outsider.run(warden, append([]string{"--data", w.data, "--addr", w.addr}, args...)...)
		require.Error(t, err, "warden %v over TCP: %s", args, out)
		require.Contains(t, out, "needs an authenticated caller", "warden %v", args)
		require.NotContains(t, out, id)
	}
	// TCP tells the daemon nothing of the caller: the page and the API
	// answer no one without a credential.
	for _, path := range []string{"/", "/api/v1/projects", "/api/v1/projects/" + id} {
		resp, err := http.Get("http://" + w.addr + path)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, path)
		require.NotContains(t, string(body), w.token(), "%s carries no token", path)
		require.NotContains(t, string(body), id)
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	src, err := os.Open(from)
	require.NoError(t, err)
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	require.NoError(t, err)
	_, err = io.Copy(dst, src)
	require.NoError(t, err)
	require.NoError(t, dst.Close())
}
