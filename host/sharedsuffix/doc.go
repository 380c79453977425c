// Package sharedsuffix finds allowlist entries that cover public suffixes.
// An entry covers its name and every name under it, so amazonaws.com would
// cover s3.amazonaws.com, a suffix under which anyone can have a bucket:
// allowing it allows everyone's. The host refuses such entries unless the
// user asks for them (project.Spec and project.Patch AllowSharedSuffixes).
//
//	publicsuffix.DefaultRules() (every rule of the public-suffix list)
//	    └─ once, on first use: each proper parent name of each rule ─► one example rule
//	Covered(entry) ─► the example, if the entry is such a parent
//
// The list lives here, on the host, so the sidecar's binary does not carry
// it; the sidecar refuses only entries that are public suffixes themselves
// (shared.ParseDomain).
package sharedsuffix
