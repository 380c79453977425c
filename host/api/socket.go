package api

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"

	"github.com/warden-sh/warden/host/api/wire"
)

// SocketFile is the name of the API's unix socket inside the data folder.
const SocketFile = wire.SocketFile

// SocketPath is where the daemon listens for the CLI.
func SocketPath(dataDir string) string { return wire.SocketPath(dataDir) }

// maxSocketPath is the longest path a unix socket may have on Linux
// (sun_path holds 108 bytes with the terminating NUL).
const maxSocketPath = 107

// DefaultSocketGroup is the group that may use the socket, when it exists
// (as the docker group may use docker.sock).
const DefaultSocketGroup = wire.DefaultSocketGroup

type socketKey struct{}

// socketPeer is a connection on the unix socket: the caller's uid as the
// kernel gives it (-1 when it cannot), for the access log.
type socketPeer struct{ uid int }

// withSocket marks a connection's context as the unix socket's.
func withSocket(ctx context.Context, uid int) context.Context {
	return context.WithValue(ctx, socketKey{}, socketPeer{uid: uid})
}

// socketConnContext marks a connection accepted on the unix socket, with
// its peer's uid.
func socketConnContext(ctx context.Context, c net.Conn) context.Context {
	return withSocket(ctx, peerUID(c))
}

// onSocket reports whether the request came over the unix socket, whose
// file permissions already decided who may connect.
func onSocket(ctx context.Context) bool {
	_, ok := ctx.Value(socketKey{}).(socketPeer)
	return ok
}

// socketUID is the uid of the caller on the socket, or -1.
func socketUID(ctx context.Context) int {
	if p, ok := ctx.Value(socketKey{}).(socketPeer); ok {
		return p.uid
	}
	return -1
}

// listenSocket opens the unix socket at path, mode 0660, owned by the
// daemon's user and by group when that group exists (its members may then
// use Warden; the data folder becomes 0710 with that group so they can
// reach the socket and nothing else). A stale socket from a daemon that
// died is replaced; a live one is an error.
func listenSocket(path, group string) (net.Listener, error) {
	if len(path) > maxSocketPath {
		return nil, fmt.Errorf("the socket path %s is %d bytes long; a unix socket's path may have at most %d: choose a shorter data folder (--data)",
			path, len(path), maxSocketPath)
	}
	if c, err := net.Dial("unix", path); err == nil {
		c.Close()
		return nil, fmt.Errorf("another daemon already answers on %s", path)
	}
	if info, err := os.Lstat(path); err == nil {
		if info.Mode().Type() != fs.ModeSocket {
			return nil, fmt.Errorf("%s exists and is not a socket (%s); move it away", path, info.Mode().Type())
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("removing the stale socket %s: %w", path, err)
		}
	}
	gid := -1
	if group != "" {
		g, err := user.LookupGroup(group)
		var unknown user.UnknownGroupError
		switch {
		case errors.As(err, &unknown):
		case err != nil:
			return nil, fmt.Errorf("looking up the group %q: %w", group, err)
		default:
			if gid, err = strconv.Atoi(g.Gid); err != nil {
				return nil, fmt.Errorf("group %q has the id %q; expect a number", group, g.Gid)
			}
		}
	}
	// Until its mode and group are set below, the data folder (0700, or
	// 0710 for the group) keeps everyone else from the new socket.
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", path, err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(true)
	if gid >= 0 {
		dir := filepath.Dir(path)
		if err := chownMode(path, gid, 0o660); err != nil {
			ln.Close()
			return nil, err
		}
		if err := chownMode(dir, gid, 0o710); err != nil {
			ln.Close()
			return nil, err
		}
	} else if err := os.Chmod(path, 0o660); err != nil {
		ln.Close()
		return nil, fmt.Errorf("setting the mode of %s: %w", path, err)
	}
	return ln, nil
}

func chownMode(path string, gid int, mode os.FileMode) error {
	if err := os.Lchown(path, -1, gid); err != nil {
		return fmt.Errorf("giving %s to group %d: %w", path, gid, err)
	}
	if err := os.Chmod(path, mode); err != nil {
		return fmt.Errorf("setting the mode of %s to %v: %w", path, mode, err)
	}
	return nil
}
