package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/shared"
)

func (a *app) domainsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "domains", Short: "List and edit a project's allowlist (applied live)"}
	ls := listCommand(a, "List the allowlist (deny entries start with !)", func(p project.Project) []string { return p.Domains })
	// add and rm need at least one entry; set with none empties the list.
	edit := func(use, short string, patch func([]string) project.Patch) *cobra.Command {
		minArgs := 2
		if use == "set" {
			minArgs = 1
		}
		var allowShared, dry bool
		c := a.addJSON(&cobra.Command{
			Use:   use + " PROJECT DOMAIN...",
			Short: short,
			Args:  cobra.MinimumNArgs(minArgs),
			RunE: func(cmd *cobra.Command, args []string) error {
				p := patch(args[1:])
				p.AllowSharedSuffixes = allowShared
				if dry {
					return a.dryRun(cmd.Context(), args[0], p)
				}
				return a.patch(cmd.Context(), args[0], p)
			},
		})
		c.Flags().BoolVar(&dry, dryRunFlag, false, dryRunUsage)
		if use != "rm" {
			c.Flags().BoolVar(&allowShared, allowSharedFlag, false, allowSharedUsage)
		}
		return c
	}
	var cut bool
	rm := edit("rm", "Remove entries (open connections to them stay open unless --cut)", func(d []string) project.Patch {
		return project.Patch{RemoveDomains: d, CutConnections: cut}
	})
	rm.Flags().BoolVar(&cut, "cut", false, "also cut the open connections to the removed entries' addresses")
	cmd.AddCommand(a.addJSON(ls),
		edit("add", "Add entries (each covers the name and every name under it; '!name' denies a name and every name under it)",
			func(d []string) project.Patch { return project.Patch{AddDomains: d} }),
		rm,
		a.suggestCommand(),
		edit("set", "Replace the whole allowlist", func(d []string) project.Patch {
			if d == nil {
				d = []string{}
			}
			return project.Patch{Domains: &d}
		}),
	)
	return cmd
}

// The flag that accepts entries with public suffixes under them.
const (
	allowSharedFlag  = "allow-shared-suffixes"
	allowSharedUsage = "accept entries that cover public suffixes anyone can have names under (amazonaws.com covers everyone's s3.amazonaws.com buckets)"
)

// listCommand is `ls PROJECT` for one of a project's lists: one item a line,
// or the list as JSON.
func listCommand[T any](a *app, short string, list func(project.Project) []T) *cobra.Command {
	return &cobra.Command{
		Use:   "ls PROJECT",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := a.resolve(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(list(p))
			}
			for _, item := range list(p) {
				fmt.Fprintln(a.out, item)
			}
			return nil
		},
	}
}

func (a *app) portsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "ports", Short: "List and edit a project's forwarded ports"}
	ls := listCommand(a, "List the forwarded ports", func(p project.Project) []int { return p.Ports })
	edit := func(use, short string, patch func([]int) project.Patch) *cobra.Command {
		return a.addJSON(&cobra.Command{
			Use:   use + " PROJECT PORT...",
			Short: short,
			Args:  cobra.MinimumNArgs(2),
			RunE: func(cmd *cobra.Command, args []string) error {
				ports, err := parsePorts(args[1:])
				if err != nil {
					return err
				}
				return a.patch(cmd.Context(), args[0], patch(ports))
			},
		})
	}
	cmd.AddCommand(a.addJSON(ls),
		edit("add", "Add forwarded ports", func(p []int) project.Patch { return project.Patch{AddPorts: p} }),
		edit("rm", "Remove forwarded ports", func(p []int) project.Patch { return project.Patch{RemovePorts: p} }),
	)
	return cmd
}

func parsePorts(args []string) ([]int, error) {
	out := make([]int, 0, len(args))
	for _, s := range args {
		// The same spelling rule as preview host names and the relay.
		n, err := shared.ParsePort(s)
		if err != nil {
			return nil, fmt.Errorf("bad port %q; expect a number from 1 to 65535 without leading zeros", s)
		}
		out = append(out, n)
	}
	return out, nil
}

func (a *app) modeCommand() *cobra.Command {
	var dry bool
	cmd := a.addJSON(&cobra.Command{
		Use:       "mode PROJECT full|restricted|none",
		Short:     "Switch the network mode (applied live, no restart)",
		Args:      cobra.ExactArgs(2),
		ValidArgs: []string{"full", "restricted", "none"},
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := shared.ParseMode(args[1])
			if err != nil {
				return err
			}
			if dry {
				return a.dryRun(cmd.Context(), args[0], project.Patch{Mode: &m})
			}
			return a.patch(cmd.Context(), args[0], project.Patch{Mode: &m})
		},
	})
	cmd.Flags().BoolVar(&dry, dryRunFlag, false, dryRunUsage)
	return cmd
}
