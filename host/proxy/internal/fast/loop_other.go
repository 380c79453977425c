//go:build !linux

package fast

// Event loops are Linux's (epoll); elsewhere every preview connection
// stays on its goroutine.

type loopSet struct{}

func (s *Server) closeLoops() {}

func (fc *fastConn) moveToLoop(string) bool { return false }
