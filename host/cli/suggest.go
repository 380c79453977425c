package cli

import (
	"fmt"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/warden-sh/warden/host/api/wire"
	"github.com/warden-sh/warden/host/project"
)

func (a *app) suggestCommand() *cobra.Command {
	var accept []int
	cmd := &cobra.Command{
		Use:   "suggest PROJECT [--accept N...]",
		Short: "List the entries that would allow what the agent was refused; --accept adds them by number",
		Long: `List the names the audit log shows refused, grouped by the entry that would
allow them: their registrable domain (never a public suffix; the name itself
when the domain has public suffixes under it), most refused first, with counts
and the last time each was seen. --accept 1,3 (or --accept 1 --accept 3) adds
those entries of the list as it stands now.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := a.resolve(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			var list []wire.Suggestion
			if err := a.client().do(cmd.Context(), "GET", "/projects/"+url.PathEscape(p.ID)+"/suggestions", nil, &list); err != nil {
				return err
			}
			if len(accept) > 0 {
				var entries []string
				for _, n := range accept {
					if n < 1 || n > len(list) {
						return fmt.Errorf("--accept %d is not on the list; expect a number from 1 to %d (warden domains suggest %s)", n, len(list), args[0])
					}
					entries = append(entries, list[n-1].Entry)
				}
				fmt.Fprintf(a.errOut, "adding %s\n", strings.Join(entries, ", "))
				return a.patch(cmd.Context(), p.ID, project.Patch{AddDomains: entries})
			}
			if a.json {
				return a.printJSON(list)
			}
			if len(list) == 0 {
				fmt.Fprintln(a.out, "nothing refused that an entry could allow")
				return nil
			}
			tw := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "#\tENTRY\tREFUSED\tLAST SEEN\tNAMES")
			for i, s := range list {
				names := make([]string, 0, len(s.Names))
				for _, n := range s.Names {
					names = append(names, fmt.Sprintf("%s (%d)", n.Name, n.Count))
				}
				fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\n", i+1, s.Entry, s.Count, s.LastSeen.Local().Format("2006-01-02 15:04:05"), strings.Join(names, ", "))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().IntSliceVar(&accept, "accept", nil, "add the entries with these numbers")
	return a.addJSON(cmd)
}
