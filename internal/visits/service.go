package visits

import (
	"log/slog"
	"sync"
	"time"

	"github.com/harmedpatients/hpa/internal/config"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// Service collects events and answers statistics queries.
type Service struct {
	pool *pgxpool.Pool
	// reads answers the statistics queries: a read replica, or pool.
	reads    *pgxpool.Pool
	settings config.Visits
	logger   *slog.Logger
	now      func() time.Time
	metrics  *metrics
	salts    *salts
	agents   *memo[agent]
	pages    *memo[page]
	refs     *memo[referrer]
	flood    floodCounter
	buffer   *buffer
	bots     *botTally
	geo      *GeoIP
	// rawQueryTimeout bounds queries counted from raw events.
	rawQueryTimeout time.Duration
	// drainTimeout bounds the writing of what is left at shutdown.
	drainTimeout time.Duration
	// durableWait bounds how long CollectDurable waits for the writer.
	durableWait time.Duration
	// lastWriteErr is why the writer's last failed attempt failed (only
	// the writer's goroutine touches it), for the log if events are lost.
	lastWriteErr error
	// writing is closed when the writer has stopped.
	writing   chan struct{}
	startOnce sync.Once
	counter   counterCache
}

// NewService returns a Service over pool. Register its metrics with reg
// (nil skips them) and start the writer with Run. flood counts each
// visitor's events against HPA_VISITS_VISITOR_RATE_LIMIT across every
// instance; nil counts none (for commands that collect nothing).
func NewService(pool *pgxpool.Pool, settings config.Visits, flood floodCounter, reg prometheus.Registerer, logger *slog.Logger, now func() time.Time) *Service {
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
		flood:    flood,
		buffer:   newBuffer(settings.BufferSize),
		bots:     newBotTally(),
		writing:  make(chan struct{}),

		rawQueryTimeout: defaultRawQueryTimeout,
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
func (s *Service) ReadFrom(replica *pgxpool.Pool) { s.reads = replica }

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
