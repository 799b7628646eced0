package api

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// httpMetrics counts and times responses by operation ID and status.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	// series caches the children per label set: label hashing on every
	// request is measurable at the request rates public content sees.
	series sync.Map // seriesKey → *series
}

type seriesKey struct {
	operation, method string
	status            int
}

type series struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hpa_http_requests_total",
			Help: "HTTP responses by operation ID, method and status code.",
		}, []string{"operation", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hpa_http_request_duration_seconds",
			Help:    "Time to serve HTTP requests, by operation ID and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"operation", "method"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration)
	}
	return m
}

func (m *httpMetrics) observe(operation, method string, status int, elapsed time.Duration) {
	key := seriesKey{operation, method, status}
	v, ok := m.series.Load(key)
	if !ok {
		v, _ = m.series.LoadOrStore(key, &series{
			requests: m.requests.WithLabelValues(operation, method, strconv.Itoa(status)),
			duration: m.duration.WithLabelValues(operation, method),
		})
	}
	s := v.(*series)
	s.requests.Inc()
	s.duration.Observe(elapsed.Seconds())
}

// metricsHandler serves the Prometheus exposition, behind a bearer token
// when one is configured.
func metricsHandler(gatherer prometheus.Gatherer, token string) http.Handler {
	h := promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{})
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			writeProblem(w, r, newProblem(http.StatusUnauthorized, "", "a valid metrics token is required"))
			return
		}
		h.ServeHTTP(w, r)
	})
}
