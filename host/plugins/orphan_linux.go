package plugins

import (
	"os/exec"
	"syscall"
)

// dieWithDaemon makes the kernel kill the plugin when the daemon dies, even
// by SIGKILL: go-plugin's net/rpc server does not notice its client is
// gone, and an orphan would run until the machine stops.
func dieWithDaemon(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
