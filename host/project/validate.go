package project

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/distribution/reference"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/warden-sh/warden/host/agent"
	"github.com/warden-sh/warden/host/presets"
	"github.com/warden-sh/warden/host/sharedsuffix"
	"github.com/warden-sh/warden/shared"
)

// MaxNameLen is the longest project name, in characters.
const MaxNameLen = 64

const (
	nameAccepted      = "expect 1 to 64 printable characters"
	workspaceAccepted = "expect the absolute path of an existing folder on the host, other than /, or pvc:NAME for a PersistentVolumeClaim (kubernetes backend)"
	portAccepted      = "expect a port from 1 to 65535"
	envAccepted       = "expect a name of letters, digits and underscores that does not start with a digit"
	imageAccepted     = "expect an image reference such as warden-agent-claude-code:latest, or empty for the agent type's default"
)

func checkID(id string) error {
	if !ValidID(id) {
		return fieldError("id", id, "expect 12 lower-case hex characters, such as a1b2c3d4e5f6")
	}
	return nil
}

// checkName trims surrounding spaces and returns the name.
func checkName(name string) (string, error) {
	s := strings.TrimSpace(name)
	switch {
	case !utf8.ValidString(s):
		return "", fieldError("name", name, "is not valid UTF-8; %s", nameAccepted)
	case s == "":
		return "", fieldError("name", name, "is empty; %s", nameAccepted)
	case utf8.RuneCountInString(s) > MaxNameLen:
		return "", fieldError("name", name, "is longer than %d characters; %s", MaxNameLen, nameAccepted)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return "", fieldError("name", name, "has the non-printable character %q; %s", r, nameAccepted)
		}
	}
	return s, nil
}

// checkWorkspace returns the cleaned path of an existing folder, or a
// well-formed claim (pvc:NAME) as given.
func checkWorkspace(path string) (string, error) {
	if path == "" {
		return "", fieldError("workspace", path, "is empty; %s", workspaceAccepted)
	}
	if name, ok := strings.CutPrefix(path, ClaimPrefix); ok {
		// A claim's name is a Kubernetes object name (a DNS subdomain).
		if len(validation.IsDNS1123Subdomain(name)) > 0 {
			return "", fieldError("workspace", path, "does not name a PersistentVolumeClaim; expect pvc: and a name of lower-case letters, digits, '-' and '.', such as pvc:web-workspace")
		}
		return path, nil
	}
	if !filepath.IsAbs(path) {
		return "", fieldError("workspace", path, "is not an absolute path; %s", workspaceAccepted)
	}
	clean := filepath.Clean(path)
	if clean == string(filepath.Separator) {
		// The agent is root in its container; the whole host must not be its workspace.
		return "", fieldError("workspace", path, "is the root of the file system; %s", workspaceAccepted)
	}
	info, err := os.Stat(clean)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fieldError("workspace", path, "does not exist; %s", workspaceAccepted)
	case err != nil:
		fe := fieldError("workspace", path, "cannot be read (%v); %s", err, workspaceAccepted)
		fe.err = err
		return "", fe
	case !info.IsDir():
		return "", fieldError("workspace", path, "is not a folder; %s", workspaceAccepted)
	}
	return clean, nil
}

func checkAgentType(types AgentTypes, name string) (agent.Definition, error) {
	d, ok := types.Lookup(name)
	if !ok {
		return agent.Definition{}, fieldError("agentType", name, "is not a known agent type; expect one of %s",
			strings.Join(types.Names(), ", "))
	}
	return d, nil
}

// checkRuntimes returns the runtimes sorted, each once.
func checkRuntimes(names []string) ([]string, error) {
	known := presets.Runtimes()
	out := make([]string, 0, len(names))
	for _, n := range names {
		if _, ok := known[n]; !ok {
			return nil, fieldError("runtimes", n, "is not a known runtime; expect any of %s",
				strings.Join(presets.RuntimeNames(), ", "))
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func checkMode(m shared.Mode) (shared.Mode, error) {
	mode, err := shared.ParseMode(string(m))
	if err != nil {
		fe := fieldError("mode", string(m), "is not a network mode; expect full, restricted or none")
		fe.err = err
		return "", fe
	}
	return mode, nil
}

// parseDomain parses one allowlist entry given in field.
func parseDomain(field, entry string) (string, error) {
	d, err := shared.ParseDomain(entry)
	if err != nil {
		// shared's message already names the entry; keep only the reason
		// and what is accepted, since FieldError names the entry itself.
		prefix := shared.ErrInvalidDomain.Error() + " " + strconv.Quote(entry) + ": "
		msg, _ := strings.CutPrefix(err.Error(), prefix)
		fe := fieldError(field, entry, "%s", msg)
		fe.err = err
		return "", fe
	}
	return string(d), nil
}

// checkDomains returns the entries in canonical form, sorted, each once.
func checkDomains(field string, entries []string) ([]string, error) {
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		d, err := parseDomain(field, e)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// checkSharedSuffixes refuses an entry of entries that is not in kept and
// has public suffixes under it, unless the user asked for such entries:
// allowing amazonaws.com would allow everyone's s3.amazonaws.com buckets.
// Entries already kept were accepted before and stay.
func checkSharedSuffixes(field string, entries, kept []string, allowShared bool) error {
	if allowShared {
		return nil
	}
	for _, e := range entries {
		if slices.Contains(kept, e) {
			continue
		}
		if suffix, ok := sharedsuffix.Covered(shared.Domain(e)); ok {
			return sharedSuffixError(field, e, suffix,
				"ask for every name under it with allowSharedSuffixes (warden: --allow-shared-suffixes)")
		}
	}
	return nil
}

// sharedSuffixError names the suffix, a narrower entry under it and, in
// override, how to have the entry anyway.
func sharedSuffixError(field, entry, suffix, override string) *FieldError {
	narrower := "NAME." + suffix
	if rest, ok := strings.CutPrefix(suffix, "*."); ok {
		narrower = "NAME.LABEL." + rest
	}
	return fieldError(field, entry, "covers the public suffix %s, under which anyone can have a name, so it would allow "+
		"all of theirs; expect the narrower entry you need, such as %s, or %s", suffix, narrower, override)
}

func checkPort(field string, port int) error {
	if port < 1 || port > 65535 {
		return fieldError(field, strconv.Itoa(port), "is out of range; %s", portAccepted)
	}
	return nil
}

// checkPorts returns the ports sorted; a port listed twice is refused.
func checkPorts(field string, ports []int) ([]int, error) {
	out := make([]int, 0, len(ports))
	seen := make(map[int]bool, len(ports))
	for _, p := range ports {
		if err := checkPort(field, p); err != nil {
			return nil, err
		}
		if seen[p] {
			return nil, fieldError(field, strconv.Itoa(p), "is listed twice; expect each port once")
		}
		seen[p] = true
		out = append(out, p)
	}
	slices.Sort(out)
	return out, nil
}

func checkImage(image string) error {
	if image == "" {
		return nil
	}
	if _, err := reference.ParseNormalizedNamed(image); err != nil {
		fe := fieldError("image", image, "is not a valid image reference (%v); %s", err, imageAccepted)
		fe.err = err
		return fe
	}
	return nil
}

// checkEnv returns a copy of env after checking every name and value.
func checkEnv(env map[string]string) (Env, error) {
	for _, k := range slices.Sorted(maps.Keys(env)) {
		if !agent.ValidEnvName(k) {
			return nil, fieldError("env", k, "is not a valid variable name; %s", envAccepted)
		}
		if strings.IndexByte(env[k], 0) >= 0 {
			return nil, fieldError("env", k, "has a NUL byte in its value; expect text without NUL bytes")
		}
	}
	return cloneEnv(env), nil
}
