package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/warden-sh/warden/host/project"
)

// projectEnv lists a project's environment or edits one variable at a
// time. Values are write-only: the daemon shows each name with "set" and
// never a value.
func (a *app) projectEnv() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "env PROJECT [ls | set KEY=VALUE... | unset KEY...]",
		Short: "List a project's environment variables, or set and unset some, keeping the others (values are write-only; edits apply at the next start)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, verb, rest := args[0], "ls", args[1:]
			if len(rest) > 0 {
				verb, rest = rest[0], rest[1:]
			}
			switch verb {
			case "ls":
				if len(rest) > 0 {
					return fmt.Errorf("env ls takes no more arguments; got %q", rest)
				}
				return a.listEnv(cmd, ref)
			case "set":
				if len(rest) == 0 {
					return fmt.Errorf("env set needs at least one KEY=VALUE")
				}
				env, err := parseEnv(rest)
				if err != nil {
					return err
				}
				return a.patch(cmd.Context(), ref, project.Patch{SetEnv: env})
			case "unset":
				if len(rest) == 0 {
					return fmt.Errorf("env unset needs at least one KEY")
				}
				return a.patch(cmd.Context(), ref, project.Patch{UnsetEnv: rest})
			}
			return fmt.Errorf("unknown env action %q; expect ls, set KEY=VALUE... or unset KEY...", verb)
		},
	}
	return a.addJSON(cmd)
}

func (a *app) listEnv(cmd *cobra.Command, ref string) error {
	p, err := a.resolve(cmd.Context(), ref)
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
}
