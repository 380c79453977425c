package daemon

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/warden-sh/warden/host/api/termwire"
	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/host/termsession"
)

// Sessions are kept by the daemon, not by a multiplexer in the agent
// image: the daemon holds each session's exec (with a terminal) and a
// bounded scrollback, so any image works, and the browser and the CLI
// re-attach through the API alone.

const (
	// maxSessions bounds the running sessions of one project.
	maxSessions = 16
	// keepEnded is how many ended sessions of a project stay listed.
	keepEnded = 8
)

// shellCommand starts the user's login shell: bash where the image has it.
var shellCommand = []string{"/bin/sh", "-c", "if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi"}

var sessionName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// terminals holds the sessions of every project, by project id and name.
type terminals struct {
	mu     sync.Mutex
	byProj map[string]map[string]*termsession.Session
	seq    map[string]int // the last number picked for a name, by project
}

// StartSession starts a named session in the project's agent container: a
// shell, the agent type's command or a given command, with a terminal. It
// runs until its command ends, attached or not.
func (d *Daemon) StartSession(ctx context.Context, ref string, req termwire.SessionRequest) (termwire.SessionInfo, error) {
	p, err := d.resolve(ref)
	if err != nil {
		return termwire.SessionInfo{}, err
	}
	kind, cmd, shown, err := d.sessionCommand(p.AgentType, req)
	if err != nil {
		return termwire.SessionInfo{}, err
	}
	if err := termwire.CheckSize(req.Rows, req.Cols); err != nil {
		return termwire.SessionInfo{}, badSession("size", fmt.Sprintf("%dx%d", req.Rows, req.Cols), err.Error())
	}
	if req.Name != "" && !sessionName.MatchString(req.Name) {
		return termwire.SessionInfo{}, badSession("name", req.Name,
			"is not a session name; expect 1 to 32 of a-z, 0-9, - and _, starting with a letter or digit")
	}
	if err := d.agentRunning(ctx, p.ID, p.Name); err != nil {
		return termwire.SessionInfo{}, err
	}

	t := &d.terminals
	t.mu.Lock()
	if t.byProj == nil {
		t.byProj, t.seq = map[string]map[string]*termsession.Session{}, map[string]int{}
	}
	sessions := t.byProj[p.ID]
	if sessions == nil {
		sessions = map[string]*termsession.Session{}
		t.byProj[p.ID] = sessions
	}
	running := 0
	for _, s := range sessions {
		if s.Running() {
			running++
		}
	}
	name := req.Name
	if name == "" {
		for name == "" || sessions[name] != nil {
			t.seq[p.ID]++
			name = kind + "-" + strconv.Itoa(t.seq[p.ID])
		}
	}
	if old := sessions[name]; old != nil && old.Running() {
		t.mu.Unlock()
		return termwire.SessionInfo{}, fmt.Errorf("%w: project %s already has a running session %q; attach to it (`warden attach %s %s`) or pick another name",
			ErrConflict, p.Name, name, p.Name, name)
	}
	if running >= maxSessions {
		t.mu.Unlock()
		return termwire.SessionInfo{}, fmt.Errorf("%w: project %s already runs %d sessions, the most it may; end one first", ErrConflict, p.Name, running)
	}
	s := termsession.New(termsession.Config{Name: name, Kind: kind, Command: shown, Rows: req.Rows, Cols: req.Cols, Now: d.now})
	sessions[name] = s
	pruneEnded(sessions)
	t.mu.Unlock()

	id := p.ID
	run := func(ctx context.Context, stdin io.Reader, out io.Writer, resize <-chan [2]uint) (int, error) {
		return d.rt.Exec(ctx, id, cmd, ExecOptions{
			TTY: true, Stdin: stdin, Stdout: out, Resize: resize, Size: [2]uint{uint(req.Rows), uint(req.Cols)},
			Env: []string{"TERM=xterm-256color"},
		})
	}
	if !d.spawn(func(ctx context.Context) {
		s.Run(ctx, run)
		d.log.Info("session ended", "project", id, "session", name, "info", s.Info())
	}) {
		return termwire.SessionInfo{}, fmt.Errorf("starting session %q: the daemon is shutting down", name)
	}
	d.log.Info("session started", "project", id, "session", name, "kind", kind)
	return s.Info(), nil
}

// sessionCommand turns a request into the session's kind, the command to
// run (nil: the agent type's, which the runtime reads from the container)
// and the command to show.
func (d *Daemon) sessionCommand(agentType string, req termwire.SessionRequest) (kind string, cmd, shown []string, err error) {
	switch {
	case len(req.Cmd) > 0 && (req.Kind == "" || req.Kind == termwire.KindCommand):
		if req.Cmd[0] == "" {
			return "", nil, nil, badSession("cmd", "", "the command's name is empty; expect a program and its arguments")
		}
		return termwire.KindCommand, req.Cmd, req.Cmd, nil
	case len(req.Cmd) > 0:
		return "", nil, nil, badSession("kind", req.Kind, fmt.Sprintf("does not take a command; give kind %q or none with cmd", termwire.KindCommand))
	case req.Kind == termwire.KindShell || req.Kind == "":
		return termwire.KindShell, shellCommand, []string{"shell"}, nil
	case req.Kind == termwire.KindAgent:
		shown := []string{agentType}
		if def, ok := d.agents.Lookup(agentType); ok && len(def.Command) > 0 {
			shown = slices.Clone(def.Command)
		}
		return termwire.KindAgent, nil, shown, nil
	}
	return "", nil, nil, badSession("kind", req.Kind, fmt.Sprintf("is not a session kind; expect %q, %q, or a cmd", termwire.KindShell, termwire.KindAgent))
}

// pruneEnded forgets the oldest ended sessions beyond keepEnded.
func pruneEnded(sessions map[string]*termsession.Session) {
	var ended []termwire.SessionInfo
	for _, s := range sessions {
		if !s.Running() {
			ended = append(ended, s.Info())
		}
	}
	sort.Slice(ended, func(i, j int) bool { return ended[i].Ended.Before(ended[j].Ended) })
	for len(ended) > keepEnded {
		delete(sessions, ended[0].Name)
		ended = ended[1:]
	}
}

// Sessions lists the project's sessions, running and recently ended, by
// start time.
func (d *Daemon) Sessions(ctx context.Context, ref string) ([]termwire.SessionInfo, error) {
	p, err := d.resolve(ref)
	if err != nil {
		return nil, err
	}
	t := &d.terminals
	t.mu.Lock()
	list := make([]termwire.SessionInfo, 0, len(t.byProj[p.ID]))
	for _, s := range t.byProj[p.ID] {
		list = append(list, s.Info())
	}
	t.mu.Unlock()
	sort.Slice(list, func(i, j int) bool {
		if !list[i].Started.Equal(list[j].Started) {
			return list[i].Started.Before(list[j].Started)
		}
		return list[i].Name < list[j].Name
	})
	return list, nil
}

// Session returns the named session of the project, to attach to.
func (d *Daemon) Session(ctx context.Context, ref, name string) (*termsession.Session, error) {
	p, err := d.resolve(ref)
	if err != nil {
		return nil, err
	}
	t := &d.terminals
	t.mu.Lock()
	defer t.mu.Unlock()
	if s := t.byProj[p.ID][name]; s != nil {
		return s, nil
	}
	names := make([]string, 0, len(t.byProj[p.ID]))
	for n := range t.byProj[p.ID] {
		names = append(names, n)
	}
	sort.Strings(names)
	have := "it has none"
	if len(names) > 0 {
		have = "it has " + strings.Join(names, ", ")
	}
	return nil, fmt.Errorf("%w: project %s has no session %q (%s; `warden sessions %s` lists them)", ErrNotFound, p.Name, name, have, p.Name)
}

// badSession is a refused session request, which the API answers with 400.
func badSession(field, value, msg string) error {
	return &project.FieldError{Field: field, Value: value, Message: msg}
}

// forgetSessions drops a deleted project's sessions; their commands went
// with its containers.
func (d *Daemon) forgetSessions(id string) {
	t := &d.terminals
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.byProj, id)
	delete(t.seq, id)
}
