package fast

import "sync"

// BufferPool lends ReverseProxy its copy buffers.
type BufferPool struct{}

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (BufferPool) Get() []byte  { return *copyBuffers.Get().(*[]byte) }
func (BufferPool) Put(b []byte) { copyBuffers.Put(&b) }
