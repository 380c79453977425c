package runtime

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/errdefs"
	"github.com/moby/sys/user"
)

// containerIDs is the user and group an image's processes run as.
type containerIDs struct{ UID, GID uint32 }

// imageUser resolves the image's USER the way the engine does: numbers as
// they are, names through the image's /etc/passwd and /etc/group, which are
// read from a container created for the purpose and never started. Results
// are kept per image id.
func (r *Runtime) imageUser(ctx context.Context, img image.InspectResponse) (containerIDs, error) {
	spec := ""
	if img.Config != nil {
		spec = img.Config.User
	}
	if spec == "" {
		return containerIDs{}, nil // root, as the engine runs it
	}
	r.mu.Lock()
	ids, ok := r.imageUsers[img.ID]
	r.mu.Unlock()
	if ok {
		return ids, nil
	}
	passwd, group, err := r.readUserFiles(ctx, img.ID)
	if err != nil {
		return containerIDs{}, err
	}
	u, err := user.GetExecUser(spec, nil, passwd, group)
	if err != nil {
		return containerIDs{}, fmt.Errorf("resolving the image's user %q: %w", spec, err)
	}
	if u.Uid < 0 || u.Gid < 0 {
		return containerIDs{}, fmt.Errorf("the image's user %q resolves to uid %d gid %d; expect ids of 0 or more", spec, u.Uid, u.Gid)
	}
	ids = containerIDs{UID: uint32(u.Uid), GID: uint32(u.Gid)}
	r.mu.Lock()
	r.imageUsers[img.ID] = ids
	r.mu.Unlock()
	return ids, nil
}

// readUserFiles returns the image's /etc/passwd and /etc/group, each nil
// when the image has none.
func (r *Runtime) readUserFiles(ctx context.Context, imageID string) (passwd, group io.Reader, err error) {
	created, err := r.docker.ContainerCreate(ctx, &container.Config{Image: imageID, Cmd: []string{"true"}, Labels: map[string]string{LabelInstance: r.instance}},
		&container.HostConfig{NetworkMode: "none"}, nil, nil, "")
	if err != nil {
		return nil, nil, fmt.Errorf("creating a container to read the image's users: %w", err)
	}
	defer func() {
		if rmErr := r.docker.ContainerRemove(context.WithoutCancel(ctx), created.ID, container.RemoveOptions{Force: true}); rmErr != nil && !errdefs.IsNotFound(rmErr) {
			r.log.Warn("removing the container that read an image's users", "container", created.ID, "err", rmErr)
		}
	}()
	if passwd, err = r.readImageFile(ctx, created.ID, "/etc/passwd"); err != nil {
		return nil, nil, err
	}
	if group, err = r.readImageFile(ctx, created.ID, "/etc/group"); err != nil {
		return nil, nil, err
	}
	return passwd, group, nil
}

// maxUserFile bounds what is read of /etc/passwd or /etc/group.
const maxUserFile = 4 << 20

func (r *Runtime) readImageFile(ctx context.Context, containerID, file string) (io.Reader, error) {
	rc, _, err := r.docker.CopyFromContainer(ctx, containerID, file)
	if errdefs.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s of the agent image: %w", file, err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s of the agent image: %w", file, err)
		}
		if h.Typeflag == tar.TypeReg && path.Base(h.Name) == path.Base(file) {
			b, err := io.ReadAll(io.LimitReader(tr, maxUserFile))
			if err != nil {
				return nil, fmt.Errorf("reading %s of the agent image: %w", file, err)
			}
			return bytes.NewReader(b), nil
		}
	}
}
