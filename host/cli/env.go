package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/warden-sh/warden/host/project"
)

// projectEnv edits a project's environment one variable at a time. Values
// are write-only: the daemon shows each name with "set" and never a value.
func (a *app) projectEnv() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "env",
		Short: "List, set and unset a project's environment variables (values are write-only)",
	}
	ls := &cobra.Command{
		Use:   "ls PROJECT",
		Short: "List the variable names (values never come back)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := a.resolve(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(p.Env)
			}
			for _, k := range sortedKeys(p.Env) {
				fmt.Fprintf(a.out, "%s=%s\n", k, project.EnvSet)
			}
			return nil
		},
	}
	set := &cobra.Command{
		Use:   "set PROJECT KEY=VALUE...",
		Short: "Set variables, keeping the others (applies at the next start)",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := parseEnv(args[1:])
			if err != nil {
				return err
			}
			return a.patch(cmd.Context(), args[0], project.Patch{SetEnv: env})
		},
	}
	unset := &cobra.Command{
		Use:   "unset PROJECT KEY...",
		Short: "Remove variables, keeping the others (applies at the next start)",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.patch(cmd.Context(), args[0], project.Patch{UnsetEnv: args[1:]})
		},
	}
	cmd.AddCommand(a.addJSON(ls), a.addJSON(set), a.addJSON(unset))
	return cmd
}
