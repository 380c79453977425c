package runtime

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/docker/docker/api/types/container"
)

// containerSpec is everything a container is created from.
type containerSpec struct {
	Name    string
	Config  *container.Config
	Host    *container.HostConfig
	ImageID string // the image the name resolved to, so a rebuilt image counts as a change
}

// hash identifies the spec; it is stored in the labelSpec label. Of the
// labels, only those the spec sets itself count (sealed adds the owner's).
func (s containerSpec) hash() string {
	cfg := *s.Config
	if len(cfg.Labels) == 0 {
		cfg.Labels = nil
	}
	b, _ := json.Marshal(struct {
		Name    string
		Config  container.Config
		Host    *container.HostConfig
		ImageID string
	}{s.Name, cfg, s.Host, s.ImageID})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// sealed returns the spec with its hash and the owner's labels beside its
// own.
func (s containerSpec) sealed(labels func(spec string) map[string]string) containerSpec {
	cfg := *s.Config
	own := cfg.Labels
	cfg.Labels = labels(s.hash())
	for k, v := range own {
		if _, taken := cfg.Labels[k]; !taken {
			cfg.Labels[k] = v
		}
	}
	s.Config = &cfg
	return s
}

// matches reports whether an existing container was created from s.
func (s containerSpec) matches(c container.InspectResponse) bool {
	return c.Config != nil && c.Config.Labels[labelSpec] == s.Config.Labels[labelSpec]
}
