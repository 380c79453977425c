//go:build !linux

package proxy

// Event loops are Linux's (epoll); elsewhere every preview connection
// stays on its goroutine.

type loopSet struct{}

func (p *Proxy) closeLoops() {}

func (fc *fastConn) moveToLoop(string) bool { return false }
