package agent

import (
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/distribution/reference"

	"github.com/warden-sh/warden/host/sharedsuffix"
	"github.com/warden-sh/warden/shared"
)

// ErrInvalid is wrapped by every error Check returns.
var ErrInvalid = errors.New("invalid agent type")

// Limits on a definition; a plugin is untrusted input.
const (
	MaxNameLen        = 32
	MaxDisplayNameLen = 64
	maxArgs           = 64
	maxArgLen         = 4096
	maxEnv            = 64
	maxFolders        = 8
	maxDomains        = 64
)

const (
	nameAccepted    = "expect 1 to 32 lower-case letters, digits and single dashes, starting with a letter and ending with a letter or digit, such as claude-code"
	displayAccepted = "expect 1 to 64 printable characters, such as Claude Code"
	imageAccepted   = "expect an image reference such as warden-agent-claude-code:latest"
	argvAccepted    = "expect a program and its arguments, such as [\"claude\"], at most 64 of them, without NUL bytes"
	envAccepted     = "expect a name of letters, digits and underscores that does not start with a digit, and a value without NUL bytes"
	folderAccepted  = "expect an absolute path inside a home folder, such as /home/agent/.claude or /root/.codex"
)

// Check validates d and returns it in canonical form: display name trimmed,
// config folders cleaned and sorted, domains canonical, sorted and each
// once. The error names the field, the bad value and what is accepted.
func Check(d Definition) (Definition, error) {
	d = d.Clone()
	if err := checkName(d.Name); err != nil {
		return Definition{}, err
	}
	bad := func(field, value, format string, args ...any) error {
		return fmt.Errorf("%w %q: %s %q %s", ErrInvalid, d.Name, field, value, fmt.Sprintf(format, args...))
	}
	d.DisplayName = strings.TrimSpace(d.DisplayName)
	if msg := displayProblem(d.DisplayName); msg != "" {
		return Definition{}, bad("displayName", d.DisplayName, "%s; %s", msg, displayAccepted)
	}
	if d.Image == "" {
		return Definition{}, bad("image", d.Image, "is empty; %s", imageAccepted)
	}
	if _, err := reference.ParseNormalizedNamed(d.Image); err != nil {
		return Definition{}, bad("image", d.Image, "is not an image reference (%v); %s", err, imageAccepted)
	}
	if msg := argvProblem(d.Command); msg != "" {
		return Definition{}, bad("command", fmt.Sprint(d.Command), "%s; %s", msg, argvAccepted)
	}
	if msg := argvProblem(d.HealthCheck); msg != "" {
		return Definition{}, bad("healthCheck", fmt.Sprint(d.HealthCheck), "%s; %s", msg, argvAccepted)
	}
	if len(d.Env) > maxEnv {
		return Definition{}, bad("env", fmt.Sprint(len(d.Env), " variables"), "is too many; expect at most %d", maxEnv)
	}
	for _, k := range slices.Sorted(maps.Keys(d.Env)) {
		if !ValidEnvName(k) {
			return Definition{}, bad("env", k, "is not a variable name; %s", envAccepted)
		}
		if strings.IndexByte(d.Env[k], 0) >= 0 {
			return Definition{}, bad("env", k, "has a NUL byte in its value; %s", envAccepted)
		}
	}
	folders, err := checkFolders(d.ConfigFolders, bad)
	if err != nil {
		return Definition{}, err
	}
	d.ConfigFolders = folders
	if len(d.Domains) > maxDomains {
		return Definition{}, bad("domains", fmt.Sprint(len(d.Domains), " entries"), "is too many; expect at most %d", maxDomains)
	}
	domains := make([]string, 0, len(d.Domains))
	for _, e := range d.Domains {
		dom, err := shared.ParseDomain(e)
		if err != nil {
			return Definition{}, fmt.Errorf("%w %q: domains: %w", ErrInvalid, d.Name, err)
		}
		// Every new project of the type gets these; none may open names
		// anyone can register.
		if suffix, ok := sharedsuffix.Covered(dom); ok {
			return Definition{}, bad("domains", e, "covers the public suffix %s, under which anyone can have a name; "+
				"expect the narrower entry the agent needs", suffix)
		}
		domains = append(domains, string(dom))
	}
	slices.Sort(domains)
	d.Domains = slices.Compact(domains)
	return d, nil
}

// ValidName reports whether name can be an agent type's name.
func ValidName(name string) bool { return checkName(name) == nil }

func checkName(name string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w %q: name %s; %s", ErrInvalid, name, why, nameAccepted)
	}
	switch {
	case name == "":
		return bad("is empty")
	case len(name) > MaxNameLen:
		return bad(fmt.Sprintf("is longer than %d characters", MaxNameLen))
	case name[0] < 'a' || name[0] > 'z':
		return bad("does not start with a lower-case letter")
	case name[len(name)-1] == '-':
		return bad("ends with a dash")
	case strings.Contains(name, "--"):
		return bad("has two dashes in a row")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return bad(fmt.Sprintf("has the character %q", rune(c)))
		}
	}
	return nil
}

func displayProblem(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case s == "":
		return "is empty"
	case utf8.RuneCountInString(s) > MaxDisplayNameLen:
		return fmt.Sprintf("is longer than %d characters", MaxDisplayNameLen)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return fmt.Sprintf("has the non-printable character %q", r)
		}
	}
	return ""
}

func argvProblem(argv []string) string {
	switch {
	case len(argv) == 0:
		return "is empty"
	case len(argv) > maxArgs:
		return fmt.Sprintf("has %d arguments", len(argv))
	case strings.TrimSpace(argv[0]) == "":
		return "names no program"
	}
	for _, a := range argv {
		if len(a) > maxArgLen {
			return fmt.Sprintf("has an argument longer than %d bytes", maxArgLen)
		}
		if strings.IndexByte(a, 0) >= 0 {
			return "has a NUL byte"
		}
	}
	return ""
}

// ValidEnvName reports whether s can name an environment variable: a
// letter or underscore, then letters, digits and underscores.
func ValidEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_'
		if !letter && !(i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// checkFolders returns the folders cleaned, sorted and each once. A folder
// inside another is refused: the two binds would overlap.
func checkFolders(folders []string, bad func(field, value, format string, args ...any) error) ([]string, error) {
	if len(folders) > maxFolders {
		return nil, bad("configFolders", fmt.Sprint(len(folders), " folders"), "is too many; expect at most %d", maxFolders)
	}
	out := make([]string, 0, len(folders))
	for _, f := range folders {
		if msg := folderProblem(f); msg != "" {
			return nil, bad("configFolders", f, "%s; %s", msg, folderAccepted)
		}
		out = append(out, path.Clean(f))
	}
	slices.Sort(out)
	out = slices.Compact(out)
	for i := 1; i < len(out); i++ {
		if strings.HasPrefix(out[i], out[i-1]+"/") {
			return nil, bad("configFolders", out[i], "lies inside %q; expect folders apart from each other", out[i-1])
		}
	}
	return out, nil
}

func folderProblem(f string) string {
	if !path.IsAbs(f) {
		return "is not an absolute path"
	}
	if strings.IndexByte(f, 0) >= 0 || !utf8.ValidString(f) || len(f) > maxArgLen {
		return "is not a usable path"
	}
	for _, el := range strings.Split(f, "/") {
		if el == ".." {
			return "has a .. element"
		}
	}
	parts := strings.Split(strings.Trim(path.Clean(f), "/"), "/")
	switch {
	case parts[0] == "root" && len(parts) >= 2:
	case parts[0] == "home" && len(parts) >= 3:
	default:
		// Only folders below a home: a bind over /etc, /usr or the
		// workspace would replace what the image or the project provides.
		return "is not inside a home folder"
	}
	return ""
}
