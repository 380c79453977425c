// Package nstest builds throwaway network namespaces for privileged tests.
// A test creates a namespace with New, runs Go code inside it with Do (the
// calling goroutine's thread is switched in and back), or runs commands inside
// it with Exec. Sockets opened inside Do stay in that namespace after Do
// returns, so a test can start servers and clients in several namespaces from
// one process.
package nstest
