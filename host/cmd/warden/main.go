// Command warden runs AI coding agents in Docker containers under a network
// policy: `warden serve` is the daemon, every other command drives it.
package main

import (
	"context"
	"os"

	"github.com/warden-sh/warden/host/cli"
)

func main() {
	os.Exit(cli.Execute(context.Background(), newServer(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
