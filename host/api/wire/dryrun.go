package wire

import (
	"github.com/warden-sh/warden/host/project"
)

// DryRun is what an edit would do, found without making it.
type DryRun struct {
	DryRun bool `json:"dryRun"` // always true: nothing was changed
	// Project is the project as the edit would leave it.
	Project project.Project `json:"project"`
	// WouldRefuse are the latest first contacts, one per name, with names
	// the current policy allows and the edited one would refuse, oldest
	// first.
	WouldRefuse []AuditRecord `json:"wouldRefuse"`
}
