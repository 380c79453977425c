package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/warden-sh/warden/host/api/wire"
	"github.com/warden-sh/warden/host/plugins"
)

func (a *app) presetsCommand() *cobra.Command {
	return a.addJSON(&cobra.Command{
		Use:   "presets",
		Short: "List agent types, runtimes and the domains each adds to a new project, and the plugins' state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var ps wire.Presets
			if err := a.client().do(cmd.Context(), "GET", "/presets", nil, &ps); err != nil {
				return err
			}
			if a.json {
				return a.printJSON(ps)
			}
			return printPresets(a.out, ps)
		},
	})
}

func printPresets(w io.Writer, ps wire.Presets) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tNAME\tDOMAINS")
	for _, ag := range ps.Agents {
		name := fmt.Sprintf("%s (%s)", ag.Name, ag.DisplayName)
		if ag.Plugin != "" {
			name += " from " + ag.Plugin
		}
		fmt.Fprintf(tw, "agent\t%s\t%s\n", name, strings.Join(ag.Domains, " "))
	}
	for _, name := range sortedKeys(ps.Runtimes) {
		fmt.Fprintf(tw, "runtime\t%s\t%s\n", name, strings.Join(ps.Runtimes[name], " "))
	}
	fmt.Fprintf(tw, "every project\t\t%s\n", strings.Join(ps.Infrastructure, " "))
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(ps.Plugins) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PLUGIN\tSTATE\tAGENT TYPE\tRESTARTS\tPROBLEM")
	for _, p := range ps.Plugins {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", p.Name, p.State, dash(p.AgentType), p.Restarts, pluginProblem(p))
	}
	return tw.Flush()
}

// pluginProblem is what needs the user's attention, on one line.
func pluginProblem(p plugins.Status) string {
	var parts []string
	if p.Error != "" {
		parts = append(parts, p.Error)
	}
	if p.LastExit != "" && !strings.Contains(p.Error, p.LastExit) {
		parts = append(parts, "last "+p.LastExit)
	}
	if len(parts) == 0 {
		return "-"
	}
	return printable(strings.Join(parts, "; "))
}

// printable keeps text a plugin controls (its output, in an error) from
// driving the terminal: control characters become spaces.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
