// Package wire holds the types the daemon's API sends and the CLI reads:
// project status, presets, the audit log's pages, suggestions and dry runs.
// Both sides import it, so the CLI needs nothing of the daemon or the
// runtime to read an answer (the terminal stream's messages are in
// host/api/termwire).
package wire
