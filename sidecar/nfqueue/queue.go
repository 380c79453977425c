package nfqueue

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Handler decides on queued packets. Both methods run on the queue's one
// reading goroutine, so a handler needs no lock for state only they touch.
type Handler interface {
	// Packet gets each queued packet; it decides now (out.Set) or keeps
	// the ID and decides in a later call.
	Packet(p Packet, out *Batch)
	// Tick runs about every TickEvery, for decisions that wait on time.
	Tick(now time.Time, out *Batch)
}

// TickEvery is how often Run calls Tick, and how long a read waits.
const TickEvery = 250 * time.Millisecond

// Batch collects the verdicts of one read, sent together.
type Batch struct {
	queue uint16
	buf   []byte
	n     int
}

// Set records the verdict for packet id.
func (b *Batch) Set(id uint32, v Verdict) {
	b.buf = appendVerdict(b.buf, b.queue, id, v)
	b.n++
}

// Len is the number of verdicts recorded.
func (b *Batch) Len() int { return b.n }

func (b *Batch) reset() { b.buf, b.n = b.buf[:0], 0 }

// Queue is one bound NFQUEUE queue in the namespace it was opened in.
type Queue struct {
	num uint16
	fd  int
	log *slog.Logger

	mu       sync.Mutex
	closed   atomic.Bool
	running  bool
	done     chan struct{}
	received atomic.Uint64
	lost     atomic.Uint64
}

// recvBuf holds one read: GSO packets come whole, up to 64 KiB each.
const recvBuf = 1 << 20

// Open binds queue num in the calling thread's network namespace. It needs
// CAP_NET_ADMIN, and fails while another socket holds num. maxLen bounds the
// packets the kernel holds for the queue; beyond it the kernel drops them.
func Open(num uint16, maxLen uint32, log *slog.Logger) (*Queue, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_NETFILTER)
	if err != nil {
		return nil, fmt.Errorf("opening netfilter netlink socket: %w", err)
	}
	q := &Queue{num: num, fd: fd, log: log.With("component", "nfqueue", "queue", num), done: make(chan struct{})}
	if err := q.setup(maxLen); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return q, nil
}

func (q *Queue) setup(maxLen uint32) error {
	if err := unix.Bind(q.fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("binding netlink socket: %w", err)
	}
	// A reader that falls behind loses packets (the kernel drops them, as it
	// drops what no one reads); the socket should not fail for it.
	_ = unix.SetsockoptInt(q.fd, unix.SOL_NETLINK, unix.NETLINK_NO_ENOBUFS, 1)
	if err := unix.SetsockoptInt(q.fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 8<<20); err != nil {
		_ = unix.SetsockoptInt(q.fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 8<<20)
	}
	tv := unix.NsecToTimeval(TickEvery.Nanoseconds())
	if err := unix.SetsockoptTimeval(q.fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return fmt.Errorf("setting read timeout: %w", err)
	}
	buf := make([]byte, 4096)
	for _, m := range configMessages(q.num, maxLen) {
		if err := unix.Sendto(q.fd, m, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
			return fmt.Errorf("configuring queue %d: %w", q.num, err)
		}
		if err := q.ack(buf); err != nil {
			if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EBUSY) {
				return fmt.Errorf("binding queue %d: another socket in this network namespace may hold it, or the process lacks CAP_NET_ADMIN: %w", q.num, err)
			}
			return fmt.Errorf("configuring queue %d: %w", q.num, err)
		}
	}
	return nil
}

// ack reads the kernel's answer to one configuration request.
func (q *Queue) ack(buf []byte) error {
	for {
		n, _, err := unix.Recvfrom(q.fd, buf, 0)
		if err != nil {
			return err
		}
		for b := buf[:n]; len(b) >= nlmsgHdrLen; {
			l := int(binary.NativeEndian.Uint32(b))
			typ := binary.NativeEndian.Uint16(b[4:])
			if l < nlmsgHdrLen || l > len(b) {
				return errors.New("malformed netlink answer")
			}
			if typ == unix.NLMSG_ERROR && l >= nlmsgHdrLen+4 {
				if errno := int32(binary.NativeEndian.Uint32(b[nlmsgHdrLen:])); errno != 0 {
					return syscall.Errno(-errno)
				}
				return nil
			}
			b = b[align4(l):]
		}
	}
}

// Run reads packets and hands them to h until ctx ends or Close; it may be
// called once. The socket is closed when it returns.
func (q *Queue) Run(ctx context.Context, h Handler) error {
	q.mu.Lock()
	switch {
	case q.running:
		q.mu.Unlock()
		return errors.New("queue already running")
	case q.closed.Load():
		q.mu.Unlock()
		return nil
	}
	q.running = true
	q.mu.Unlock()
	defer func() {
		unix.Close(q.fd)
		close(q.done)
	}()
	buf := make([]byte, recvBuf)
	out := &Batch{queue: q.num, buf: make([]byte, 0, 4096)}
	sa := &unix.SockaddrNetlink{Family: unix.AF_NETLINK}
	lastTick := time.Now()
	for ctx.Err() == nil && !q.closed.Load() {
		n, _, err := unix.Recvfrom(q.fd, buf, 0)
		switch {
		case err == nil:
			q.dispatch(buf[:n], h, out)
		case errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR):
		case errors.Is(err, unix.ENOBUFS):
			q.lost.Add(1)
		default:
			return fmt.Errorf("reading queue %d: %w", q.num, err)
		}
		if now := time.Now(); now.Sub(lastTick) >= TickEvery {
			lastTick = now
			h.Tick(now, out)
		}
		if out.n > 0 {
			if err := unix.Sendto(q.fd, out.buf, 0, sa); err != nil {
				q.log.Error("sending verdicts", "count", out.n, "err", err)
			}
			out.reset()
		}
	}
	return nil
}

func (q *Queue) dispatch(b []byte, h Handler, out *Batch) {
	for len(b) >= nlmsgHdrLen {
		l := int(binary.NativeEndian.Uint32(b))
		typ := binary.NativeEndian.Uint16(b[4:])
		if l < nlmsgHdrLen || l > len(b) {
			q.log.Warn("dropping a malformed netlink message", "length", l, "left", len(b))
			return
		}
		if typ == msgTypePacket {
			q.received.Add(1)
			p, err := parsePacket(b[nlmsgHdrLen:l])
			if err != nil {
				q.log.Warn("dropping an unreadable queued packet", "err", err)
			} else {
				h.Packet(p, out)
			}
		}
		if align4(l) >= len(b) {
			return
		}
		b = b[align4(l):]
	}
}

// Stats counts what the queue has seen since Open.
type Stats struct {
	Received uint64 // packets read
	Lost     uint64 // reads the kernel reported as overrun
}

func (q *Queue) Stats() Stats { return Stats{Received: q.received.Load(), Lost: q.lost.Load()} }

// Close unbinds the queue, waiting for Run to return (within TickEvery).
// Packets still held are dropped by the kernel.
func (q *Queue) Close() error {
	q.mu.Lock()
	if q.closed.Swap(true) {
		q.mu.Unlock()
		return nil
	}
	running := q.running
	q.mu.Unlock()
	if running {
		<-q.done
		return nil
	}
	return unix.Close(q.fd)
}
