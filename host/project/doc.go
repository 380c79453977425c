// Package project defines a Warden project — one agent, its workspace and its
// network policy — and every rule a project's settings must follow.
//
//	Spec  ──Build(id, now, types)──►  Project  ──Apply(Patch, now)──►  Project
//	(API/CLI create body)      (stored)    (API/CLI edit)       (new value; the
//	                                                             old one is untouched)
//
// Build and Apply validate all their input before producing anything: a
// refusal is a *FieldError naming the field, the bad value and what would be
// accepted, and nothing changes. Apply bumps PolicyGen whenever the mode or
// the allowlist changes; a sidecar's confirmation is recorded in AppliedGen,
// so Pending tells whether the running policy is behind the stored one.
//
// Allowlist entries are parsed by shared.ParseDomain (deny entries "!name"
// included); on top of that, an entry added with public suffixes under it
// (host/sharedsuffix) is refused unless the Spec or Patch says
// AllowSharedSuffixes. Entries already stored are never asked about again.
//
// .warden.json in a workspace may declare forwarded ports. ReadWardenFile
// reads it and Watcher follows it. The file is written by the agent, so it is
// read defensively (no symbolic links, no special files, size-capped) and it
// never touches the network policy.
package project
