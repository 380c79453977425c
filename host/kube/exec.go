package kube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/client-go/util/exec"
	"k8s.io/streaming/pkg/httpstream"

	"github.com/warden-sh/warden/host/runtime"
)

// annotAgentCommand records the agent type's command on the pod, so Exec
// runs the agent without knowing its type (as the Docker backend's label).
const annotAgentCommand = "warden.sh/agent-command"

// exitNotStarted is the exit code of a command that could not be started
// (missing, not executable), as Docker's exec gives it.
const exitNotStarted = 126

// ErrExecUser is returned by Exec for ExecOptions.User: the API server's
// exec runs every command as the container's own user.
var ErrExecUser = errors.New("the Kubernetes API runs a command as the agent container's own user only")

// Exec runs cmd in the project's agent container through the API server's
// pod exec and returns its exit code once it ends; no cmd runs the agent
// type's command. It speaks WebSocket (v5.channel.k8s.io) and falls back to
// SPDY for an API server without it, as kubectl does. Ending ctx closes the
// stream; whether the command is then killed is the container runtime's
// choice.
//
// Pod exec knows no user, environment or working folder: a User is refused
// (ErrExecUser; sudo in the agent works as on Docker), and Env and
// WorkingDir, like a first terminal size, are set by a small /bin/sh
// wrapper in the container before the command replaces it.
func (r *Runtime) Exec(ctx context.Context, projectID string, cmd []string, opts runtime.ExecOptions) (int, error) {
	if err := checkID(projectID); err != nil {
		return -1, err
	}
	if opts.User != "" {
		return -1, fmt.Errorf("exec as user %q: %w; leave the user out (sudo works inside the agent)", opts.User, ErrExecUser)
	}
	if err := checkEnv(opts.Env); err != nil {
		return -1, err
	}
	if r.rest == nil {
		return -1, errors.New("exec needs the API server's client configuration; build the runtime with kube.New")
	}
	name := objectName(projectID)
	pod, err := r.cs.CoreV1().Pods(r.cfg.Namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return -1, fmt.Errorf("project %s has no pod; start the project first", projectID)
	}
	if err != nil {
		return -1, fmt.Errorf("reading pod %s: %w", name, err)
	}
	if st := stateOf(pod); st.Agent.Status != "running" || pod.DeletionTimestamp != nil {
		why := st.Error
		if why == "" {
			why = "agent " + st.Agent.Status
		}
		return -1, fmt.Errorf("the agent of project %s is not running (%s); start the project first", projectID, why)
	}
	if len(cmd) == 0 {
		if cmd = podAgentCommand(pod); len(cmd) == 0 {
			return -1, errors.New("exec: no command given and the pod records no agent command; expect a command and its arguments, such as [\"bash\"]")
		}
	}
	argv := execArgv(cmd, opts)

	req := r.cs.CoreV1().RESTClient().Post().Resource("pods").Namespace(r.cfg.Namespace).Name(name).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{
			Container: containerAgent,
			Command:   argv,
			Stdin:     opts.Stdin != nil,
			Stdout:    true,
			Stderr:    !opts.TTY,
			TTY:       opts.TTY,
		}, scheme.ParameterCodec)
	ex, err := r.executor(req.URL())
	if err != nil {
		return -1, err
	}
	done := make(chan struct{})
	defer close(done)
	so := remotecommand.StreamOptions{
		Stdin:  opts.Stdin,
		Stdout: orDiscard(opts.Stdout),
		Tty:    opts.TTY,
	}
	if !opts.TTY {
		so.Stderr = orDiscard(opts.Stderr)
	}
	if opts.TTY {
		so.TerminalSizeQueue = newSizeQueue(opts.Size, opts.Resize, done)
	}
	err = ex.StreamWithContext(ctx, so)
	if ctx.Err() != nil {
		return -1, fmt.Errorf("running %q in %s: %w", cmd[0], name, ctx.Err())
	}
	return exitOf(err, cmd[0], name, so.Stdout, so.Stderr)
}

// executor is kubectl's: WebSocket first, SPDY when the upgrade is refused.
func (r *Runtime) executor(u *url.URL) (remotecommand.Executor, error) {
	spdyExec, err := remotecommand.NewSPDYExecutor(r.rest, "POST", u)
	if err != nil {
		return nil, fmt.Errorf("preparing pod exec (SPDY): %w", err)
	}
	wsExec, err := remotecommand.NewWebSocketExecutor(r.rest, "GET", u.String())
	if err != nil {
		return nil, fmt.Errorf("preparing pod exec (WebSocket): %w", err)
	}
	return remotecommand.NewFallbackExecutor(wsExec, spdyExec, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
}

// notStarted matches the container runtime's words for a command that
// could not be started (runc through containerd or CRI-O).
var notStarted = regexp.MustCompile(`executable file not found|no such file or directory|permission denied|exec format error`)

// exitOf turns the stream's end into an exit code: nil is 0, a non-zero
// exit passes through exactly, and a command the runtime could not start
// ends with 126 and the runtime's words on stderr (on stdout for a
// terminal), as on Docker.
func exitOf(err error, command, pod string, stdout, stderr io.Writer) (int, error) {
	if err == nil {
		return 0, nil
	}
	var ce utilexec.CodeExitError
	if errors.As(err, &ce) {
		return ce.Code, nil
	}
	msg := err.Error()
	if strings.Contains(msg, "exec failed") && notStarted.MatchString(msg) {
		w := stderr
		if w == nil {
			w = stdout
		}
		_, _ = fmt.Fprintf(w, "%s\n", msg)
		return exitNotStarted, nil
	}
	return -1, fmt.Errorf("running %q in %s: %w", command, pod, err)
}

// sizeQueue hands the exec its first terminal size, then each resize, until
// the exec ends.
type sizeQueue struct {
	first *remotecommand.TerminalSize
	sizes <-chan [2]uint
	done  <-chan struct{}
}

func newSizeQueue(first [2]uint, sizes <-chan [2]uint, done <-chan struct{}) *sizeQueue {
	q := &sizeQueue{sizes: sizes, done: done}
	if first[0] > 0 && first[1] > 0 {
		q.first = termSize(first)
	}
	return q
}

// Next blocks until a size comes or the exec ends (nil).
func (q *sizeQueue) Next() *remotecommand.TerminalSize {
	if s := q.first; s != nil {
		q.first = nil
		return s
	}
	select {
	case <-q.done:
		return nil
	case s, ok := <-q.sizes:
		if !ok {
			return nil
		}
		return termSize(s)
	}
}

func termSize(s [2]uint) *remotecommand.TerminalSize {
	return &remotecommand.TerminalSize{Height: uint16(min(s[0], 0xffff)), Width: uint16(min(s[1], 0xffff))}
}

// prepare is run by /bin/sh in the agent container before the command
// replaces it: $1 and $2 a terminal's rows and columns (empty: leave it),
// $3 the working folder (empty: the container's), $4 how many KEY=VALUE
// arguments follow to export, then the command. A resize sent as the
// command starts would race it (a `stty size` would see 0x0), so the
// terminal gets its size from inside first, as on Docker, unless a size has
// already come through (a resize then must not be undone). A program that is
// not there ends with 126, as Docker's exec does.
const prepare = `[ -n "$1" ] && [ "$(stty size 2>/dev/null)" = "0 0" ] && stty rows "$1" cols "$2" 2>/dev/null
[ -n "$3" ] && { cd "$3" || exit 126; }
n=$4; shift 4
while [ "$n" -gt 0 ]; do export "$1"; shift; n=$((n - 1)); done
command -v -- "$1" >/dev/null 2>&1 || { echo "exec: \"$1\": executable file not found in \$PATH" >&2; exit 126; }
exec "$@"`

// execArgv is cmd as the exec runs it: as it is when nothing needs setting
// first, else behind prepare.
func execArgv(cmd []string, opts runtime.ExecOptions) []string {
	sized := opts.TTY && opts.Size[0] > 0 && opts.Size[1] > 0
	if !sized && len(opts.Env) == 0 && opts.WorkingDir == "" {
		return cmd
	}
	rows, cols := "", ""
	if sized {
		rows, cols = strconv.FormatUint(uint64(opts.Size[0]), 10), strconv.FormatUint(uint64(opts.Size[1]), 10)
	}
	argv := []string{"/bin/sh", "-c", prepare, "sh", rows, cols, opts.WorkingDir, strconv.Itoa(len(opts.Env))}
	argv = append(argv, opts.Env...)
	return append(argv, cmd...)
}

// envName is what prepare may export.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func checkEnv(env []string) error {
	for _, kv := range env {
		k, _, ok := strings.Cut(kv, "=")
		if !ok || !envName.MatchString(k) {
			return fmt.Errorf("bad environment entry %q; expect NAME=VALUE with a name of letters, digits and _ (not starting with a digit)", kv)
		}
	}
	return nil
}

// agentCommandValue is annotAgentCommand's value for cmd.
func agentCommandValue(cmd []string) string {
	b, _ := json.Marshal(cmd)
	return string(b)
}

// podAgentCommand reads annotAgentCommand back.
func podAgentCommand(pod *corev1.Pod) []string {
	var cmd []string
	if json.Unmarshal([]byte(pod.Annotations[annotAgentCommand]), &cmd) != nil {
		return nil
	}
	return cmd
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
