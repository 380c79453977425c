// Package store keeps the daemon's state in one bbolt file (DATA/warden.db):
// projects and a bounded history of each project's events.
//
//	projects/<id>          → project.Project as JSON
//	events/<id>/<seq:u64>  → shared.Event as JSON, oldest first; only the
//	                         last EventHistory (SetEventHistory) are kept
//	events-dropped/<id>    → u64: how many were dropped for that bound
//
// Every call is one transaction, and every acknowledged write has been
// fsynced: a daemon killed with SIGKILL at any moment loses nothing it was
// told was stored and leaves no half-written change (proven by the
// crash test, which kills a writer process repeatedly and checks the file).
// Update is a read-modify-write in a single transaction, so an edit that
// fails validation writes nothing.
package store
