package visits

import "github.com/prometheus/client_golang/prometheus"

// metrics account for every event: accepted = written + dropped +
// quarantined + waiting.
type metrics struct {
	accepted      prometheus.Counter
	written       prometheus.Counter
	quarantined   prometheus.Counter
	dropped       *prometheus.CounterVec
	ignored       *prometheus.CounterVec
	rejected      prometheus.Counter
	writeFailures prometheus.Counter
	propsDropped  prometheus.Counter
	buffered      prometheus.GaugeFunc
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		accepted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hpa_visits_events_accepted_total",
			Help: "Visit events acknowledged to senders and queued for writing.",
		}),
		written: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hpa_visits_events_written_total",
			Help: "Visit events written to the database.",
		}),
		quarantined: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hpa_visits_events_quarantined_total",
			Help: "Accepted visit events the database refused to store (bad data that got past validation), set aside in visit_events_quarantine.",
		}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hpa_visits_events_dropped_total",
			Help: "Accepted visit events not written: duplicate (a client event ID seen before), shutdown (still unwritten when the shutdown drain ended) or unstorable (refused by the database and by the quarantine).",
		}, []string{"reason"}),
		ignored: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hpa_visits_events_ignored_total",
			Help: "Visit events ignored on arrival: bot (bots, headless browsers, floods) or opt-out (DNT or Sec-GPC).",
		}, []string{"reason"}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hpa_visits_events_rejected_total",
			Help: "Visit events refused with 503 because the write buffer was full.",
		}),
		writeFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hpa_visits_write_failures_total",
			Help: "Failed attempts to write a batch of visit events: each is retried, or split if the database refused its data.",
		}),
		propsDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hpa_visits_props_dropped_total",
			Help: "Custom properties left out of written events because their names are beyond the site's bound (HPA_VISITS_MAX_PROP_KEYS); the events themselves are written.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.accepted, m.written, m.quarantined, m.dropped, m.ignored, m.rejected, m.writeFailures, m.propsDropped)
	}
	return m
}
