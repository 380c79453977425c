package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/warden-sh/warden/host/api/wire"
)

func (a *app) eventsCommand() *cobra.Command {
	var follow bool
	var limit int
	var since string
	cmd := &cobra.Command{
		Use:   "events PROJECT",
		Short: "Show the project's audit log: what its agent was refused, and its first contacts with allowed names",
		Long: `Show the project's audit log: refused names, rejected connections, connections
refused for the name they carried, and the first answer for each allowed name
(first contacts). Without --since, the last --limit records; with it, every
record since then, page by page. --json prints the records as a JSON list
(with --follow, one record a line); host/api/schema/audit-record.json is
their schema.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if limit < 1 || limit > 1000 {
				return fmt.Errorf("--limit %d is not a number of records from 1 to 1000", limit)
			}
			p, err := a.resolve(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			q := url.Values{}
			if since != "" {
				q.Set("since", since)
			} else {
				q.Set("tail", strconv.Itoa(limit))
			}
			base := "/projects/" + url.PathEscape(p.ID) + "/audit"
			if follow {
				q.Set("follow", "1")
				return a.client().stream(cmd.Context(), base+"?"+q.Encode(), func(raw json.RawMessage) error {
					if a.json {
						_, err := fmt.Fprintf(a.out, "%s\n", raw)
						return err
					}
					var r wire.AuditRecord
					if err := json.Unmarshal(raw, &r); err != nil {
						return err
					}
					fmt.Fprintln(a.out, eventLine(r.Event))
					return nil
				})
			}
			recs, last, err := a.auditPages(cmd.Context(), base, q)
			if err != nil {
				return err
			}
			if last.Dropped > 0 {
				fmt.Fprintf(a.errOut, "warden: %d older records were dropped to keep this log within %d (warden serve --audit-records)\n", last.Dropped, last.Bound)
			}
			if a.json {
				return a.printJSON(recs)
			}
			for _, r := range recs {
				fmt.Fprintln(a.out, eventLine(r.Event))
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new records")
	cmd.Flags().IntVar(&limit, "limit", 100, "how many recent records, without --since")
	cmd.Flags().StringVar(&since, "since", "", "every record since then: a duration back from now (15m, 1h) or a time (2026-12-03T10:00:00Z)")
	return a.addJSON(cmd)
}

// auditPages reads every page the query selects, following next.
func (a *app) auditPages(ctx context.Context, base string, q url.Values) ([]wire.AuditRecord, wire.AuditPage, error) {
	recs := []wire.AuditRecord{}
	for {
		var page wire.AuditPage
		if err := a.client().do(ctx, "GET", base+"?"+q.Encode(), nil, &page); err != nil {
			return nil, page, err
		}
		recs = append(recs, page.Records...)
		if !page.More {
			return recs, page, nil
		}
		q.Set("after", strconv.FormatUint(page.Next, 10))
		q.Del("tail")
	}
}
