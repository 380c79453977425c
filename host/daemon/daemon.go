package daemon

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/warden-sh/warden/host/agent"
	"github.com/warden-sh/warden/host/keylock"
	"github.com/warden-sh/warden/host/plugins"
	"github.com/warden-sh/warden/host/project"
)

// fullPassInterval is how often every project is checked against its
// containers even when Docker reported nothing.
const fullPassInterval = 30 * time.Second

// Daemon is the service behind the API. Its methods are safe for concurrent
// use. Run must be running for containers to be kept in their desired state;
// the methods work without it (tests, one-shot tools).
type Daemon struct {
	cfg   Config
	log   *slog.Logger
	store ProjectStore
	rt    ContainerRuntime
	sc    SidecarControl
	// agents are the agent types projects may have: the built-in ones and
	// what plugins defined.
	agents  *agent.Registry
	plugins *plugins.Manager // nil without plugins (New alone)

	now         func() time.Time
	newID       func() string
	watchWarden wardenFileWatcher
	// settle is how long a container's death is left to Docker's restart
	// policy before the daemon steps in.
	settle time.Duration

	hub       *hub
	previews  previewCache
	lifecycle keylock.Locks // start, stop, remove and converge of one project
	pushes    keylock.Locks // one policy push at a time per project
	names     sync.Mutex    // makes "is this name free" and the write one step
	kicks     kicker
	terminals terminals                                  // sessions in the agent containers (sessions.go)
	onApply   func(projectID string, took time.Duration) // ObserveApply

	mu        sync.Mutex
	followers map[string]*background // sidecar event followers, by project
	feeds     map[string]*feed       // their ways into the store (catchUp)
	watchers  map[string]*background // .warden.json watchers, by project
	wardens   map[string]wardenPorts
	starts    map[string]startHealth
	grantWake chan struct{} // see expireGrants

	bg       context.Context
	stopBg   context.CancelFunc
	spawnMu  sync.Mutex
	closed   bool
	wg       sync.WaitGroup
	closeOne sync.Once
	onClose  func() error
}

// background is a goroutine the daemon can stop and wait for.
type background struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func (b *background) stop() {
	b.cancel()
	<-b.done
}

// New returns a daemon over the given store, runtime and sidecar control.
// Open wires the real ones.
func New(cfg Config, st ProjectStore, rt ContainerRuntime, sc SidecarControl, log *slog.Logger) *Daemon {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bg, stop := context.WithCancel(context.Background())
	log = log.With("component", "daemon")
	d := &Daemon{
		cfg:       cfg.withDefaults(),
		log:       log,
		sc:        sc,
		now:       time.Now,
		newID:     project.NewID,
		agents:    agent.NewRegistry(),
		settle:    2 * time.Second,
		hub:       newHub(),
		kicks:     kicker{pending: make(map[string]trigger), running: make(map[string]bool)},
		followers: make(map[string]*background),
		feeds:     make(map[string]*feed),
		watchers:  make(map[string]*background),
		wardens:   make(map[string]wardenPorts),
		starts:    make(map[string]startHealth),
		grantWake: make(chan struct{}, 1),
		bg:        bg,
		stopBg:    stop,
	}
	// Every write and container change is counted, so Preview can serve
	// from memory and still never be older than the store.
	d.store = genStore{ProjectStore: st, gen: &d.previews.projects}
	d.rt = genRuntime{ContainerRuntime: rt, gen: &d.previews.containers}
	d.watchWarden = func(ctx context.Context, workspace string, fn func([]int, error)) error {
		return project.Watcher{Workspace: workspace, Log: log}.Run(ctx, fn)
	}
	return d
}

// Config returns the effective configuration.
func (d *Daemon) Config() Config { return d.cfg }

// Run rebuilds the daemon's view from the store and the containers, then
// keeps them converged until ctx ends. It returns after every background
// goroutine has stopped.
func (d *Daemon) Run(ctx context.Context) error {
	d.spawn(d.reconcilePushes)
	d.spawn(d.watchRuntime)
	d.spawn(d.fullPasses)
	// Grants that expired while the daemon was down go before any sidecar
	// is started or pushed to.
	d.pruneGrants(false)
	d.spawn(d.expireGrants)
	d.log.Info("rebuilding from store and containers")
	d.convergeAll(ctx, trigger{force: true})
	d.log.Info("rebuilt")
	<-ctx.Done()
	d.Close()
	return nil
}

// Close stops every background goroutine and waits for them, then closes
// what Open opened. It is safe to call more than once.
func (d *Daemon) Close() error {
	var err error
	d.closeOne.Do(func() {
		d.spawnMu.Lock()
		d.closed = true
		d.spawnMu.Unlock()
		d.stopBg()
		d.wg.Wait()
		if d.onClose != nil {
			err = d.onClose()
		}
	})
	return err
}

// spawn runs fn in a goroutine that Close waits for; it reports false once
// the daemon is closing.
func (d *Daemon) spawn(fn func(ctx context.Context)) bool {
	d.spawnMu.Lock()
	defer d.spawnMu.Unlock()
	if d.closed {
		return false
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		fn(d.bg)
	}()
	return true
}

// spawnBackground starts a stoppable goroutine bound to the daemon's life.
func (d *Daemon) spawnBackground(fn func(ctx context.Context)) *background {
	ctx, cancel := context.WithCancel(d.bg)
	b := &background{cancel: cancel, done: make(chan struct{})}
	if !d.spawn(func(context.Context) {
		defer close(b.done)
		fn(ctx)
	}) {
		close(b.done)
	}
	return b
}
