//go:build !linux

package plugins

import "os/exec"

// dieWithDaemon has no kernel help outside Linux; a plugin there outlives a
// daemon that is killed without Close.
func dieWithDaemon(*exec.Cmd) {}
