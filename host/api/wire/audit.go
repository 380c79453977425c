package wire

import (
	"github.com/warden-sh/warden/shared"
)

// AuditRecord is one entry of a project's audit log: a refusal, or the
// first contact with an allowed name since the sidecar started.
// host/api/schema/audit-record.json is its JSON Schema.
type AuditRecord struct {
	// Seq orders the project's records; it only grows, and a gap means the
	// records between were dropped for the bound.
	Seq     uint64 `json:"seq"`
	Project string `json:"project"`
	shared.Event
}

// AuditPage is one page of a project's audit log, oldest first.
type AuditPage struct {
	Project string        `json:"project"`
	Records []AuditRecord `json:"records"`
	// Next is the after= of the next page: the last record's Seq, or the
	// query's own after when the page is empty.
	Next uint64 `json:"next"`
	// More says whether records past Next were already stored when the
	// page was read.
	More bool `json:"more"`
	// Dropped counts the project's records dropped, oldest first, to keep
	// the log within Bound.
	Dropped uint64 `json:"dropped"`
	Bound   int    `json:"bound"`
}
