package events

import "github.com/warden-sh/warden/shared"

type subscriber struct {
	ch chan shared.Event
}

// Subscribe returns a channel that receives every event recorded from now
// on, buffered to hold buffer events (at least one), and a cancel function
// that ends the subscription and closes the channel. Cancel may be called
// more than once. Events that arrive while the channel is full are lost to
// this subscriber and counted in Dropped.
func (l *Log) Subscribe(buffer int) (<-chan shared.Event, func()) {
	_, ch, cancel := l.subscribe(false, 0, buffer)
	return ch, cancel
}

// SubscribeRecent is Subscribe that also returns Recent(backlog), taken at
// the same instant the subscription starts, so every event appears exactly
// once: either in the backlog or on the channel.
func (l *Log) SubscribeRecent(backlog, buffer int) ([]shared.Event, <-chan shared.Event, func()) {
	return l.subscribe(true, backlog, buffer)
}

func (l *Log) subscribe(withBacklog bool, backlog, buffer int) ([]shared.Event, <-chan shared.Event, func()) {
	if buffer < 1 {
		buffer = 1
	}
	s := &subscriber{ch: make(chan shared.Event, buffer)}
	l.mu.Lock()
	var recent []shared.Event
	if withBacklog {
		recent = l.recentLocked(backlog)
	}
	l.subs[s] = struct{}{}
	l.mu.Unlock()
	cancel := func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if _, ok := l.subs[s]; ok {
			delete(l.subs, s)
			close(s.ch)
		}
	}
	return recent, s.ch, cancel
}

// Subscribers is the number of live subscriptions.
func (l *Log) Subscribers() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.subs)
}
