// Command setadd measures how long sidecar/addrset takes to put one DNS
// answer's addresses into the kernel sets, and prints the distribution as
// JSON.
//
// It re-executes itself in a fresh, unnamed network namespace (gone when the
// process exits), creates the sets there with addrset's default
// configuration, and calls Add once per simulated answer, each answer under
// its own name and with addresses the sets do not hold yet, so every call
// reaches the kernel. The documentation ranges hold only 762 usable IPv4
// addresses, so the sets are flushed (untimed) whenever a pool runs out.
// A last phase repeats answers already held, the filter's hot path where
// Add skips the kernel.
//
//	setadd -answers 20000 -addrs 4
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// inNamespaceEnv marks the re-executed child.
const inNamespaceEnv = "WARDEN_SETADD_NETNS"

func main() {
	cfg := defaultConfig()
	flag.IntVar(&cfg.Answers, "answers", cfg.Answers, "answers to add per family")
	flag.IntVar(&cfg.Addrs, "addrs", cfg.Addrs, "addresses per answer")
	flag.UintVar(&cfg.TTL, "ttl", cfg.TTL, "answer TTL in seconds")
	flag.Parse()

	if os.Getenv(inNamespaceEnv) == "" {
		os.Exit(reexec())
	}
	res, err := run(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "setadd:", err)
		os.Exit(1)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		fmt.Fprintln(os.Stderr, "setadd:", err)
		os.Exit(1)
	}
}

// reexec runs this program again, with the same arguments, in a new network
// namespace, so no set it creates is ever visible outside.
func reexec() int {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "setadd: finding own executable:", err)
		return 1
	}
	cmd := exec.Command(self, os.Args[1:]...)
	cmd.Env = append(os.Environ(), inNamespaceEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		fmt.Fprintln(os.Stderr, "setadd: starting in a new network namespace (needs root):", err)
		return 1
	}
	return 0
}

// config is one measurement run.
type config struct {
	Answers int
	Addrs   int
	TTL     uint
}

func defaultConfig() config {
	return config{Answers: 20000, Addrs: 4, TTL: 300}
}
