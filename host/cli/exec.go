package cli

import (
	"context"
	"net/url"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/warden-sh/warden/host/api/termwire"
)

func (a *app) execCommand() *cobra.Command {
	var interactive, tty bool
	var user string
	cmd := &cobra.Command{
		Use:   "exec [-it] PROJECT [-- CMD [ARG...]]",
		Short: "Run a command in the project's agent container (exit code passed back); with none, the agent itself (-it)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.exec(cmd.Context(), args[0], args[1:], interactive, tty, user)
		},
	}
	cmd.Flags().BoolVarP(&interactive, "interactive", "i", false, "keep standard input open")
	cmd.Flags().BoolVarP(&tty, "tty", "t", false, "give the command a terminal")
	cmd.Flags().StringVarP(&user, "user", "u", "", "run as this user (default: the image's)")
	return cmd
}

func (a *app) shellCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "shell PROJECT",
		Short: "Open an interactive shell in the project's agent container",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.exec(cmd.Context(), args[0], []string{"bash", "-l"}, true, true, "")
		},
	}
}

// exec streams the command through the daemon's API (GET .../exec, a
// WebSocket): the CLI needs no Docker socket, and --addr and the token
// work as for every other command.
func (a *app) exec(ctx context.Context, ref string, command []string, interactive, tty bool, user string) error {
	p, err := a.resolve(ctx, ref)
	if err != nil {
		return err
	}
	start := termwire.Control{Type: termwire.TypeStart, Cmd: command, TTY: tty, Stdin: interactive, User: user}
	if err := termwire.CheckStart(start); err != nil {
		return err
	}
	o := streamIO{eof: true, detach: -1}
	if interactive {
		o.stdin = a.in
	}
	if f, ok := a.in.(*os.File); ok && tty && term.IsTerminal(int(f.Fd())) {
		start.Env = append(start.Env, "TERM="+envOr("TERM", "xterm-256color"))
		if w, h, err := term.GetSize(int(f.Fd())); err == nil {
			start.Rows, start.Cols = h, w
		}
		o.tty = f
	}
	conn, err := a.client().dialStream(ctx, "/projects/"+url.PathEscape(p.ID)+"/exec")
	if err != nil {
		return err
	}
	if err := conn.Send(ctx, start); err != nil {
		return err
	}
	code, err := a.pump(ctx, conn, o)
	if err != nil {
		return err
	}
	if code != 0 {
		return exitCode(code)
	}
	return nil
}

// watchSize sends the terminal's size now and on every SIGWINCH.
func watchSize(ctx context.Context, fd int) <-chan [2]uint {
	sizes := make(chan [2]uint, 1)
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	send := func() {
		if w, h, err := term.GetSize(fd); err == nil {
			select {
			case sizes <- [2]uint{uint(h), uint(w)}:
			default:
			}
		}
	}
	send()
	go func() {
		defer signal.Stop(winch)
		for {
			select {
			case <-ctx.Done():
				return
			case <-winch:
				send()
			}
		}
	}()
	return sizes
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
