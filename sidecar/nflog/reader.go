package nflog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/warden-sh/warden/shared"
)

// DefaultGroup is the NFLOG group the sidecar's firewall logs to.
const DefaultGroup = 44

// Reader receives the packets logged to one NFLOG group in the network
// namespace it was opened in.
type Reader struct {
	group uint16
	conn  conn
	log   *slog.Logger
	now   func() time.Time

	closed      atomic.Bool
	received    atomic.Uint64
	overruns    atomic.Uint64
	undecodable atomic.Uint64
}

// Stats counts what a Reader has seen since it was opened.
type Stats struct {
	// Received is the number of packet messages read from the kernel.
	Received uint64
	// Overruns is the number of times the kernel reported it had dropped
	// messages because the reader fell behind (ENOBUFS); each one stands for
	// at least one lost event.
	Overruns uint64
	// Undecodable is the number of messages that did not hold an IP packet.
	Undecodable uint64
}

// Open binds group in the calling thread's network namespace. Binding needs
// CAP_NET_ADMIN, and only one socket per namespace can hold a group: Open
// fails while another socket holds it.
func Open(group uint16, log *slog.Logger) (*Reader, error) {
	c, err := netlink.Dial(unix.NETLINK_NETFILTER, nil)
	if err != nil {
		return nil, fmt.Errorf("opening netfilter netlink socket: %w", err)
	}
	r := newReader(c, group, log)
	if err := r.configure(); err != nil {
		_ = c.Close()
		return nil, err
	}
	return r, nil
}

func newReader(c conn, group uint16, log *slog.Logger) *Reader {
	return &Reader{
		group: group,
		conn:  c,
		log:   log.With("component", "nflog", "group", group),
		now:   time.Now,
	}
}

func (r *Reader) configure() error {
	bind, err := bindMessage(r.group)
	if err != nil {
		return err
	}
	if _, err := r.conn.Execute(bind); err != nil {
		if errors.Is(err, unix.EPERM) {
			// The kernel answers EPERM both to a caller without
			// CAP_NET_ADMIN and when another socket owns the group.
			return fmt.Errorf("binding NFLOG group %d: another socket in this network namespace may hold it, or the process lacks CAP_NET_ADMIN: %w", r.group, err)
		}
		return fmt.Errorf("binding NFLOG group %d: %w", r.group, err)
	}
	mode, err := modeMessage(r.group)
	if err != nil {
		return err
	}
	if _, err := r.conn.Execute(mode); err != nil {
		return fmt.Errorf("setting copy mode of NFLOG group %d: %w", r.group, err)
	}
	return nil
}

// Run reads logged packets and calls emit with one event for each, on the
// calling goroutine, until ctx ends or the Reader is closed; either way it
// then returns nil. Any other read failure ends Run with an error. emit
// should return quickly: while it runs, the kernel queues further packets
// and drops them once the socket buffer is full.
func (r *Reader) Run(ctx context.Context, emit func(shared.Event)) error {
	if err := r.conn.SetReadDeadline(time.Time{}); err != nil {
		return fmt.Errorf("clearing NFLOG read deadline: %w", err)
	}
	// A read deadline in the past wakes a blocked Receive at once.
	stop := context.AfterFunc(ctx, func() { _ = r.conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	for {
		msgs, err := r.conn.Receive()
		if err != nil {
			if ctx.Err() != nil || r.closed.Load() {
				return nil
			}
			if errors.Is(err, unix.ENOBUFS) {
				// Logged at 1, 2, 4, 8... overruns so a flood cannot flood the log too.
				if n := r.overruns.Add(1); n&(n-1) == 0 {
					r.log.Warn("kernel dropped NFLOG messages; some rejected connections were not recorded", "overruns", n)
				}
				continue
			}
			return fmt.Errorf("reading NFLOG group %d: %w", r.group, err)
		}
		for _, m := range msgs {
			if ev, ok := r.event(m); ok {
				emit(ev)
			}
		}
	}
}

// event decodes one netlink message into an event.
func (r *Reader) event(m netlink.Message) (shared.Event, bool) {
	if m.Header.Type != msgTypePacket {
		return shared.Event{}, false
	}
	r.received.Add(1)
	p, err := parsePacket(m.Data)
	if err != nil {
		r.undecodable.Add(1)
		r.log.Debug("skipping NFLOG message", "error", err)
		return shared.Event{}, false
	}
	ev, ok := decodePacket(p.payload)
	if !ok {
		r.undecodable.Add(1)
		r.log.Debug("skipping logged packet that is not IPv4 or IPv6", "hwProtocol", p.hwProtocol, "bytes", len(p.payload))
		return shared.Event{}, false
	}
	// The kernel sends no timestamp for packets logged on OUTPUT, and with
	// a queue threshold of 1 each packet arrives as it is logged.
	ev.Time = r.now()
	return ev, true
}

// Stats returns the reader's counters.
func (r *Reader) Stats() Stats {
	return Stats{
		Received:    r.received.Load(),
		Overruns:    r.overruns.Load(),
		Undecodable: r.undecodable.Load(),
	}
}

// Close releases the socket; the kernel unbinds the group with it. A Run in
// progress returns nil.
func (r *Reader) Close() error {
	if r.closed.Swap(true) {
		return nil
	}
	if err := r.conn.Close(); err != nil {
		return fmt.Errorf("closing NFLOG socket: %w", err)
	}
	return nil
}
