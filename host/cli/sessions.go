package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/warden-sh/warden/host/api/termwire"
)

func (a *app) sessionsCommand() *cobra.Command {
	return a.addJSON(&cobra.Command{
		Use:   "sessions PROJECT",
		Short: "List the project's terminal sessions: running, and recently ended with their exit codes",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			list, err := a.sessions(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(list)
			}
			tw := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tKIND\tCOMMAND\tSTARTED\tCLIENTS\tSTATE")
			for _, s := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", s.Name, s.Kind, strings.Join(s.Command, " "),
					s.Started.Local().Format(time.DateTime), s.Clients, sessionState(s))
			}
			return tw.Flush()
		},
	})
}

func sessionState(s termwire.SessionInfo) string {
	switch {
	case s.Running:
		return "running"
	case s.ExitCode != nil:
		return fmt.Sprintf("exited (%d)", *s.ExitCode)
	}
	return "ended: " + s.Error
}

func (a *app) sessions(ctx context.Context, ref string) ([]termwire.SessionInfo, error) {
	p, err := a.resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	var list []termwire.SessionInfo
	err = a.client().do(ctx, "GET", "/projects/"+url.PathEscape(p.ID)+"/sessions", nil, &list)
	return list, err
}

func (a *app) attachCommand() *cobra.Command {
	var start string
	cmd := &cobra.Command{
		Use:   "attach [--start shell|agent] PROJECT [SESSION]",
		Short: "Attach to a terminal session in the agent container (recent output first); Ctrl-] detaches and leaves it running",
		Long: "Attach to a session that runs in the project's agent container. With no SESSION, the one running session.\n" +
			"--start starts a new session first: a shell or the agent type's command, named SESSION when given.\n" +
			"Ctrl-] detaches; the session keeps running. When the session ends, attach exits with its exit code.",
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := ""
			if len(args) == 2 {
				name = args[1]
			}
			return a.attach(cmd.Context(), args[0], name, start)
		},
	}
	cmd.Flags().StringVar(&start, "start", "", "start a new session first: shell or agent")
	return cmd
}

func (a *app) attach(ctx context.Context, ref, name, start string) error {
	p, err := a.resolve(ctx, ref)
	if err != nil {
		return err
	}
	f, isFile := a.in.(*os.File)
	tty := isFile && term.IsTerminal(int(f.Fd()))
	switch {
	case start != "":
		req := termwire.SessionRequest{Name: name, Kind: start}
		if tty {
			if w, h, err := term.GetSize(int(f.Fd())); err == nil {
				req.Rows, req.Cols = h, w
			}
		}
		var info termwire.SessionInfo
		if err := a.client().do(ctx, "POST", "/projects/"+url.PathEscape(p.ID)+"/sessions", req, &info); err != nil {
			return err
		}
		name = info.Name
		fmt.Fprintf(a.errOut, "started session %s in %s (Ctrl-] detaches)\r\n", name, p.Name)
	case name == "":
		if name, err = a.onlySession(ctx, p.ID, p.Name); err != nil {
			return err
		}
	}
	conn, err := a.client().dialStream(ctx, "/projects/"+url.PathEscape(p.ID)+"/sessions/"+url.PathEscape(name)+"/attach")
	if err != nil {
		return err
	}
	o := streamIO{stdin: a.in, detach: detachKey}
	if tty {
		o.tty = f
	}
	code, err := a.pump(ctx, conn, o)
	if errors.Is(err, errDetached) {
		fmt.Fprintf(a.errOut, "\r\ndetached from session %s; it runs on (`warden attach %s %s`)\r\n", name, p.Name, name)
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.errOut, "\r\nsession %s exited with code %d\r\n", name, code)
	if code != 0 {
		return exitCode(code)
	}
	return nil
}

// onlySession names the project's one running session.
func (a *app) onlySession(ctx context.Context, id, name string) (string, error) {
	list, err := a.sessions(ctx, id)
	if err != nil {
		return "", err
	}
	var running []string
	for _, s := range list {
		if s.Running {
			running = append(running, s.Name)
		}
	}
	switch len(running) {
	case 0:
		return "", fmt.Errorf("project %s has no running session; start one with `warden attach --start shell %s`", name, name)
	case 1:
		return running[0], nil
	}
	return "", fmt.Errorf("project %s has %d running sessions (%s); name one: `warden attach %s SESSION`",
		name, len(running), strings.Join(running, ", "), name)
}
