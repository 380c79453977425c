// Command pause is the sandbox (pause) image of the test cluster: it holds a
// pod's namespaces and does nothing else until it is told to stop. It is
// built here because no registry can be reached to pull the usual one.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
}
