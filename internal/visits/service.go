package visits

import (
	"cmp"
	"log/slog"
	"sync"
	"time"

	"github.com/harmedpatients/hpa/internal/store"
	"github.com/prometheus/client_golang/prometheus"
)

// Settings are the collection and rollup of visit statistics (internal/config
// reads them from the environment).
type Settings struct {
	// Hostnames are the sites whose page views are counted ("*.example.org"
	// matches subdomains). By default, the hosts of CORSOrigins.
	Hostnames []string
	// TimeZone is the site's zone: days, months and salts follow it.
	TimeZone *time.Location
	// HonourDNT drops events from browsers sending DNT: 1 or Sec-GPC: 1.
	HonourDNT bool
	// BufferSize bounds the events accepted but not yet written.
	BufferSize int
	// FlushInterval is the longest an accepted event waits to be written.
	FlushInterval time.Duration
	// BatchSize is the most events written in one COPY.
	BatchSize int
	// VisitorRateLimit is the most events one visitor may send a minute;
	// beyond it the visitor is treated as a bot.
	VisitorRateLimit int
	// RawRetentionDays is how long raw events are kept; rollups are kept.
	RawRetentionDays int
	// RollupInterval is how often the scheduled job catches rollups up
	// with new events, behind each process's own refresh.
	RollupInterval time.Duration
	// RefreshInterval is how often each process brings the rollups of
	// open days up to date with new events (zero: every second).
	RefreshInterval time.Duration
	// MaxPropKeys bounds the custom property names the site admits; the
	// properties of names beyond it are left out of events as they are
	// written. Zero means 300.
	MaxPropKeys int
	// CountingTimeout bounds a query counted from visit rows or raw events
	// (a filter on another dimension, goals, properties, funnels): beyond it
	// the query is refused with filtered-range-too-long. Zero means 20 s.
	CountingTimeout time.Duration
}

// Deps are what the service uses besides the database.
type Deps struct {
	// Flood counts each visitor's events against VisitorRateLimit across
	// every instance; nil counts none (for commands that collect nothing).
	Flood FloodCounter
	// Metrics registers the service's metrics (nil skips them).
	Metrics prometheus.Registerer
	// Logger is told about writes that failed (nil discards).
	Logger *slog.Logger
}

// Service collects events and answers statistics queries.
type Service struct {
	pool store.DB
	// reads answers the statistics queries: a read replica, or pool.
	reads    store.DB
	settings Settings
	logger   *slog.Logger
	now      func() time.Time
	metrics  *metrics
	salts    *salts
	agents   *memo[agent]
	pages    *memo[page]
	refs     *memo[referrer]
	flood    FloodCounter
	buffer   *buffer
	bots     *botTally
	geo      *GeoIP
	// rawQueryTimeout bounds queries counted from raw events.
	rawQueryTimeout time.Duration
	// rawFilters counts filtered queries from raw events only, never from
	// visit rows: the reference path, for tests comparing the two.
	rawFilters bool
	// drainTimeout bounds the writing of what is left at shutdown.
	drainTimeout time.Duration
	// durableWait bounds how long CollectDurable waits for the writer.
	durableWait time.Duration
	// lastWriteErr is why the writer's last failed attempt failed (only
	// the writer's goroutine touches it), for the log if events are lost.
	lastWriteErr error
	// writing is closed when the writer has stopped.
	writing chan struct{}
	// visitorChunk is how many visitors one statement of a refresh
	// recounts (visitorsPerStatement).
	visitorChunk int
	// wrote wakes the refresh as the writer commits events (holds one).
	wrote     chan struct{}
	startOnce sync.Once
	counter   counterCache
	propKeys  propKeys
}

// NewService returns a Service over pool; start the writer with Run.
func NewService(pool store.DB, deps Deps, settings Settings, now func() time.Time) *Service {
	logger, reg := deps.Logger, deps.Metrics
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m := newMetrics(reg)
	s := &Service{
		pool:     pool,
		reads:    pool,
		settings: settings,
		logger:   logger,
		now:      now,
		metrics:  m,
		salts:    newSalts(pool, settings.TimeZone),
		agents:   newMemo(4096, classifyAgent),
		flood:    deps.Flood,
		buffer:   newBuffer(settings.BufferSize),
		bots:     newBotTally(),
		writing:  make(chan struct{}),
		wrote:    make(chan struct{}, 1),

		visitorChunk: visitorsPerStatement,

		rawQueryTimeout: cmp.Or(settings.CountingTimeout, defaultRawQueryTimeout),
		drainTimeout:    defaultDrainTimeout,
		durableWait:     defaultDurableWait,
	}
	s.pages = newMemo(8192, s.parsePage)
	s.refs = newMemo(4096, s.parseReferrer)
	m.buffered = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "hpa_visits_buffered_events",
		Help: "Visit events accepted and not yet written.",
	}, func() float64 { return float64(s.buffer.len()) })
	if reg != nil {
		reg.MustRegister(m.buffered)
	}
	return s
}

// ReadFrom makes the statistics queries (which read rollups and raw
// events, never what a request just wrote) read from replica, so that
// heavy reports do not load the primary. The live figures (the counter,
// the last 30 minutes) still read the primary.
func (s *Service) ReadFrom(replica store.DB) { s.reads = replica }

// UseGeoIP makes the service find visitors' countries in g, for events
// no trusted proxy named a country for. Call it before collecting.
func (s *Service) UseGeoIP(g *GeoIP) { s.geo = g }

// Location is the site's time zone.
func (s *Service) Location() *time.Location { return s.settings.TimeZone }

// today is the site-local date of now, as midnight UTC of that date.
func (s *Service) today() time.Time { return localDate(s.now(), s.settings.TimeZone) }

// localDate returns the site-local calendar date of t as midnight UTC.
func localDate(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// dayBounds returns the instants a site-local day starts and ends.
func dayBounds(day time.Time, loc *time.Location) (time.Time, time.Time) {
	y, m, d := day.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc), time.Date(y, m, d+1, 0, 0, 0, 0, loc)
}
