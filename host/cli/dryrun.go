package cli

import (
	"context"
	"fmt"
	"net/url"

	"github.com/warden-sh/warden/host/api/wire"
	"github.com/warden-sh/warden/host/project"
)

// dryRunFlag asks an edit only what it would do.
const (
	dryRunFlag  = "dry-run"
	dryRunUsage = "change nothing; list the recent contacts with allowed names that the edit would refuse"
)

// dryRun sends patch with ?dryRun=1 and prints what the edit would refuse.
func (a *app) dryRun(ctx context.Context, ref string, patch project.Patch) error {
	p, err := a.resolve(ctx, ref)
	if err != nil {
		return err
	}
	var res wire.DryRun
	if err := a.client().do(ctx, "PATCH", "/projects/"+url.PathEscape(p.ID)+"?dryRun=1", patch, &res); err != nil {
		return err
	}
	if a.json {
		return a.printJSON(res)
	}
	switch n := len(res.WouldRefuse); n {
	case 0:
		fmt.Fprintln(a.out, "dry run, nothing changed: the edit would refuse none of the recent contacts")
	case 1:
		fmt.Fprintln(a.out, "dry run, nothing changed: the edit would refuse 1 recent contact:")
	default:
		fmt.Fprintf(a.out, "dry run, nothing changed: the edit would refuse %d recent contacts:\n", n)
	}
	for _, r := range res.WouldRefuse {
		fmt.Fprintln(a.out, "  "+eventLine(r.Event))
	}
	return nil
}
