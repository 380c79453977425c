// Package cli is the `warden` command: one binary that runs the daemon
// (`warden serve`) and drives it over its HTTP API (everything else).
//
//	warden <command> ──HTTP over the data folder's unix socket──► daemon /api/v1
//	warden --addr A  ──HTTP over TCP, Bearer token (WARDEN_TOKEN
//	                   or the data folder's token file)───────► daemon /api/v1
//	warden exec/shell ──Docker exec──► the project's agent container
//
// Read commands accept --json and print the API's JSON unchanged.
package cli
