package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/warden-sh/warden/host/api/wire"
)

// app carries the global flags and the output streams.
type app struct {
	addr    string
	dataDir string
	json    bool
	out     io.Writer
	errOut  io.Writer
	in      io.Reader
	server  Server // runs `warden serve`; nil in a build without the daemon
}

// Execute runs the warden command line and returns the process exit code.
// server runs `warden serve` (nil: that command says it is missing).
func Execute(ctx context.Context, server Server, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{out: stdout, errOut: stderr, in: stdin, server: server}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	if code, ok := err.(exitCode); ok {
		return int(code)
	}
	fmt.Fprintln(stderr, "warden:", err)
	return 1
}

// exitCode passes a command's own exit status through (warden exec).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "warden",
		Short:         "Run AI coding agents in containers under a network policy you set",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&a.addr, "addr", os.Getenv("WARDEN_ADDR"),
		"call the daemon over TCP at this address with the token (env WARDEN_TOKEN, else the data folder's token file) instead of its unix socket (env WARDEN_ADDR)")
	root.PersistentFlags().StringVar(&a.dataDir, "data", envOr("WARDEN_DATA", wire.DefaultDataDir()), "the daemon's data folder, where its socket and token are (env WARDEN_DATA)")
	root.AddCommand(
		a.serveCommand(),
		a.projectCommand(),
		a.domainsCommand(),
		a.portsCommand(),
		a.hostportsCommand(),
		a.modeCommand(),
		a.statusCommand(),
		a.eventsCommand(),
		a.execCommand(),
		a.shellCommand(),
		a.attachCommand(),
		a.sessionsCommand(),
		a.presetsCommand(),
		a.uiCommand(),
	)
	return root
}

// EnvOr is the environment variable key, or def when it is unset or empty.
func EnvOr(key, def string) string { return envOr(key, def) }

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// client returns an API client: over the data folder's unix socket, or
// with --addr over TCP with the token from WARDEN_TOKEN or the token file.
func (a *app) client() *apiClient {
	if a.addr == "" {
		return newSocketClient(wire.SocketPath(a.dataDir))
	}
	token := strings.TrimSpace(os.Getenv("WARDEN_TOKEN"))
	if token == "" {
		token, _ = wire.ReadToken(a.dataDir)
	}
	return newAPIClient(a.addr, token)
}

// addJSON gives a read command its --json flag.
func (a *app) addJSON(cmd *cobra.Command) *cobra.Command {
	cmd.Flags().BoolVar(&a.json, "json", false, "print JSON")
	return cmd
}

// printJSON writes v as indented JSON.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
