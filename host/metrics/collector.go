package metrics

import (
	"context"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/warden-sh/warden/host/daemon"
	"github.com/warden-sh/warden/host/proxy"
)

// scrapeTimeout bounds the sidecar calls of one scrape.
const scrapeTimeout = 5 * time.Second

// Sampler is what the collector reads of the daemon.
type Sampler interface {
	Sample(ctx context.Context) ([]daemon.ProjectSample, error)
}

var (
	descInfo = prometheus.NewDesc("warden_project_info",
		"A project: its id, name and network mode (always 1).", []string{"project", "name", "mode"}, nil)
	descUp = prometheus.NewDesc("warden_sidecar_up",
		"Whether the project's sidecar answered its status call during this scrape (projects meant to run).", []string{"project"}, nil)
	descReady = prometheus.NewDesc("warden_sidecar_ready",
		"Whether the project's sidecar reports its full policy in place.", []string{"project"}, nil)
	descQueries = prometheus.NewDesc("warden_dns_queries_total",
		"DNS questions the sidecar judged, by decision (allowed: sent upstream; refused: answered REFUSED, never sent).", []string{"project", "decision"}, nil)
	descConnRefused = prometheus.NewDesc("warden_connections_refused_total",
		"Connections the sidecar refused, by reason: address (no allowed name gave it), name (the name it carried is not allowed, or none), host_port (a host port the project does not open).",
		[]string{"project", "reason"}, nil)
	descFirstContacts = prometheus.NewDesc("warden_names_first_contact_total",
		"Allowed names the sidecar answered for the first time since it started (audit first contacts).", []string{"project"}, nil)
	descDeferred = prometheus.NewDesc("warden_names_first_contact_deferred_total",
		"First answers for allowed names not reported at once (over 200 a second); each such name is reported at its next answer.", []string{"project"}, nil)
	descPreviews = prometheus.NewDesc("warden_preview_requests_total",
		"Preview requests answered, by project and status code: the dev server's answers passed on and the proxy's own pages (refusals, errors).", []string{"project", "code"}, nil)
	descDropped = prometheus.NewDesc("warden_audit_records_dropped_total",
		"Audit records dropped, oldest first, to keep the project's audit log within its bound.", []string{"project"}, nil)
)

// Collector reads the daemon at every scrape.
type Collector struct {
	src      Sampler
	previews atomic.Pointer[func() []proxy.AnswerCount]
	log      *slog.Logger
	apply    *prometheus.HistogramVec
	errors   prometheus.Counter
}

// New returns a collector over src. ObserveApply feeds its histogram.
func New(src Sampler, log *slog.Logger) *Collector {
	return &Collector{
		src: src,
		log: log.With("component", "metrics"),
		apply: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "warden_policy_apply_duration_seconds",
			Help:    "Time from sending a policy to a sidecar to its confirmation that the policy is enforced.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"project"}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{Name: "warden_scrape_errors_total", Help: "Scrapes that could not read the projects."}),
	}
}

// CountPreviews makes every scrape report the preview proxy's answers.
func (c *Collector) CountPreviews(answers func() []proxy.AnswerCount) { c.previews.Store(&answers) }

// ObserveApply records one confirmed policy apply (daemon.ObserveApply).
func (c *Collector) ObserveApply(projectID string, took time.Duration) {
	c.apply.WithLabelValues(projectID).Observe(took.Seconds())
}

// Describe sends the fixed descriptors.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descInfo, descUp, descReady, descQueries, descConnRefused, descFirstContacts, descDeferred, descDropped, descPreviews} {
		ch <- d
	}
	c.apply.Describe(ch)
	c.errors.Describe(ch)
}

// Collect reads every project and its sidecar now.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.apply.Collect(ch)
	if answers := c.previews.Load(); answers != nil {
		for _, a := range (*answers)() {
			ch <- prometheus.MustNewConstMetric(descPreviews, prometheus.CounterValue, float64(a.Count), a.Project, strconv.Itoa(a.Code))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	samples, err := c.src.Sample(ctx)
	if err != nil {
		c.log.Warn("reading projects for a scrape", "err", err)
		c.errors.Inc()
		c.errors.Collect(ch)
		return
	}
	c.errors.Collect(ch)
	for _, s := range samples {
		c.collectProject(ch, s)
	}
}

func (c *Collector) collectProject(ch chan<- prometheus.Metric, s daemon.ProjectSample) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge(descInfo, 1, s.ID, s.Name, string(s.Mode))
	counter(descDropped, s.AuditDropped, s.ID)
	if !s.Running {
		return
	}
	st := s.Sidecar
	if st == nil {
		gauge(descUp, 0, s.ID)
		gauge(descReady, 0, s.ID)
		return
	}
	gauge(descUp, 1, s.ID)
	gauge(descReady, b2f(st.Ready), s.ID)
	counter(descQueries, st.DNS.Allowed, s.ID, "allowed")
	counter(descQueries, st.DNS.Refused, s.ID, "refused")
	counter(descConnRefused, st.Events.ConnRejected, s.ID, "address")
	counter(descConnRefused, st.Egress.Refused, s.ID, "name")
	counter(descConnRefused, st.Events.HostPortRejected, s.ID, "host_port")
	counter(descFirstContacts, st.Events.DNSFirstContacts+st.Events.ConnFirstContacts, s.ID)
	counter(descDeferred, st.DNS.FirstContactsDeferred, s.ID)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
