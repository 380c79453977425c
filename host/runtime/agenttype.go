package runtime

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/warden-sh/warden/host/agent"
	"github.com/warden-sh/warden/host/project"
)

// AgentTypes is what the runtime needs of the agent-type registry
// (*agent.Registry): each type's image, environment, config folders,
// command and health check.
type AgentTypes interface {
	Lookup(name string) (agent.Definition, bool)
	Names() []string
}

// The agent type's health check runs as a Docker health check; a failing
// one marks the container unhealthy and changes nothing else.
const (
	healthInterval    = time.Minute
	healthTimeout     = 10 * time.Second
	healthStartPeriod = 30 * time.Second
	healthRetries     = 3
)

// agentType returns the project's agent type.
func (r *Runtime) agentType(p project.Project) (agent.Definition, error) {
	d, ok := r.cfg.Agents.Lookup(p.AgentType)
	if !ok {
		return agent.Definition{}, fmt.Errorf("project %s has agent type %q, which is not loaded (a plugin that failed or was removed?); expect one of %s",
			p.ID, p.AgentType, strings.Join(r.cfg.Agents.Names(), ", "))
	}
	return d, nil
}

// HomeDir is the project's folder on the host holding its agent's config
// folders (login and settings); only the agent sees them.
func (r *Runtime) HomeDir(projectID string) string {
	return filepath.Join(r.cfg.HomeRoot, projectID)
}

// configMounts makes sure the host side of each config folder exists,
// owned by the workspace's owner (the agent sees them as its own through the
// id-mapped view of HomeDir), and returns the folders. A container folder
// /home/agent/.claude lives at HomeDir/home/agent/.claude, so it survives
// the container's recreation.
func (r *Runtime) configMounts(projectID string, folders []string, uid, gid uint32) ([]string, error) {
	if err := PrepareConfigFolders(r.HomeDir(projectID), folders, uid, gid); err != nil {
		return nil, err
	}
	return folders, nil
}

// PrepareConfigFolders makes home (only root and uid enter it) and, for each
// config folder, its folder below home at the same path, owned by uid:gid
// with the folders on the way (the path the agent's image has, such as
// /home/agent, is the agent's as well). Both backends use it.
func PrepareConfigFolders(home string, folders []string, uid, gid uint32) error {
	if len(folders) == 0 {
		return nil
	}
	if err := os.MkdirAll(home, 0o700); err != nil {
		return fmt.Errorf("creating config folder root %s: %w", home, err)
	}
	// Only root and the agent enter the project's folder.
	if err := os.Chmod(home, 0o700); err != nil {
		return fmt.Errorf("securing config folder root %s: %w", home, err)
	}
	if err := os.Lchown(home, int(uid), int(gid)); err != nil {
		return fmt.Errorf("giving config folder root %s to the workspace's owner: %w", home, err)
	}
	for _, f := range folders {
		src := filepath.Join(home, filepath.FromSlash(f))
		if err := os.MkdirAll(src, 0o700); err != nil {
			return fmt.Errorf("creating config folder %s for %s: %w", src, f, err)
		}
		info, err := os.Lstat(src)
		if err != nil || !info.IsDir() {
			return fmt.Errorf("config folder %s for %s is not a plain folder; remove it and start again", src, f)
		}
		for dir := src; dir != home; dir = filepath.Dir(dir) {
			if err := os.Lchown(dir, int(uid), int(gid)); err != nil {
				return fmt.Errorf("giving config folder %s to the workspace's owner: %w", dir, err)
			}
		}
	}
	return nil
}

// healthConfig is the agent type's health check as Docker runs it.
func healthConfig(check []string) *container.HealthConfig {
	if len(check) == 0 {
		return nil
	}
	return &container.HealthConfig{
		Test:        append([]string{"CMD"}, check...),
		Interval:    healthInterval,
		Timeout:     healthTimeout,
		StartPeriod: healthStartPeriod,
		Retries:     healthRetries,
	}
}

// commandLabel records the agent type's command on the agent container, so
// Exec can run the agent without knowing the type (a CLI has no plugins).
func commandLabel(cmd []string) string {
	b, _ := json.Marshal(cmd)
	return string(b)
}

// agentCommand reads commandLabel back.
func agentCommand(c container.InspectResponse) []string {
	if c.Config == nil {
		return nil
	}
	var cmd []string
	if json.Unmarshal([]byte(c.Config.Labels[LabelAgentCommand]), &cmd) != nil {
		return nil
	}
	return cmd
}
