package cli

import (
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-sh/warden/host/api/wire"
)

func (a *app) uiCommand() *cobra.Command {
	var noOpen bool
	cmd := &cobra.Command{
		Use:   "ui",
		Short: "Print a one-time login address for the web UI (and open it in a browser where one can be opened)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var lc wire.LoginCode
			if err := a.client().do(cmd.Context(), "POST", "/login-codes", nil, &lc); err != nil {
				return err
			}
			if a.json {
				return a.printJSON(lc)
			}
			a.printLogin(lc)
			if !noOpen {
				openBrowser(lc.URL)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&noOpen, "no-open", false, "only print the address")
	return a.addJSON(cmd)
}

// printLogin tells the user where to log in; the address works once.
func (a *app) printLogin(lc wire.LoginCode) {
	fmt.Fprintf(a.out, "Web UI: open %s (works once, until %s; `warden ui` prints a new one)\n",
		lc.URL, lc.ExpiresAt.Local().Format(time.TimeOnly))
}

// openBrowser hands the address to the desktop's browser when there is a
// desktop; the address is printed either way.
func openBrowser(url string) {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return
	}
	if path, err := exec.LookPath("xdg-open"); err == nil {
		cmd := exec.Command(path, url)
		if cmd.Start() == nil {
			go func() { _ = cmd.Wait() }()
		}
	}
}
