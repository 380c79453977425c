package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/shared"
)

// hostportsCommand edits what a project's agent reaches on the host
// (host.docker.internal), applied live.
func (a *app) hostportsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "hostports", Short: "Show and set which ports of the host a project's agent reaches (applied live)"}
	ls := &cobra.Command{
		Use:   "ls PROJECT",
		Short: "Show the host access: all, none, or the ports, one a line",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := a.resolve(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			access := p.Policy().HostAccess
			if a.json {
				return a.printJSON(map[string]any{"hostAccess": access, "hostPorts": p.HostPorts})
			}
			if access != shared.HostPorts {
				fmt.Fprintln(a.out, access)
				return nil
			}
			for _, port := range p.HostPorts {
				fmt.Fprintln(a.out, port)
			}
			return nil
		},
	}
	set := &cobra.Command{
		Use:   "set PROJECT PORT...",
		Short: "Reach only these ports of the host (TCP and UDP)",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ports, err := parsePorts(args[1:])
			if err != nil {
				return err
			}
			access := shared.HostPorts
			return a.patch(cmd.Context(), args[0], project.Patch{HostAccess: &access, HostPorts: &ports})
		},
	}
	whole := func(access shared.HostAccess, short string) *cobra.Command {
		return a.addJSON(&cobra.Command{
			Use:   string(access) + " PROJECT",
			Short: short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return a.patch(cmd.Context(), args[0], project.Patch{HostAccess: &access})
			},
		})
	}
	cmd.AddCommand(a.addJSON(ls), a.addJSON(set),
		whole(shared.HostAll, "Reach every port of the host (the default; any service there can relay the agent out)"),
		whole(shared.HostNone, "Reach nothing on the host"))
	return cmd
}

// hostAccessText reads "all", "none" or "ports 3000, 5432".
func hostAccessText(p project.Project) string {
	access := p.Policy().HostAccess
	if access == shared.HostPorts {
		return "ports " + joinInts(p.HostPorts)
	}
	return string(access)
}
