package database

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// PoolCollector exposes a pool's statistics to Prometheus.
type PoolCollector struct {
	pool  *pgxpool.Pool
	descs map[string]*prometheus.Desc
}

// NewPoolCollector returns a collector for pool's statistics.
func NewPoolCollector(pool *pgxpool.Pool) *PoolCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("hpa_db_pool_"+name, help, nil, nil)
	}
	return &PoolCollector{pool: pool, descs: map[string]*prometheus.Desc{
		"total":        d("connections", "Connections currently open."),
		"idle":         d("idle_connections", "Open connections not in use."),
		"acquired":     d("acquired_connections", "Connections currently in use."),
		"max":          d("max_connections", "Most connections the pool will open."),
		"acquires":     d("acquires_total", "Successful connection acquisitions."),
		"waits":        d("empty_acquires_total", "Acquisitions that had to wait for a connection."),
		"canceled":     d("canceled_acquires_total", "Acquisitions cancelled by their context."),
		"wait_seconds": d("acquire_wait_seconds_total", "Time spent waiting for connections."),
	}}
}

// Describe implements prometheus.Collector.
func (c *PoolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *PoolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	gauge := func(key string, v float64) {
		ch <- prometheus.MustNewConstMetric(c.descs[key], prometheus.GaugeValue, v)
	}
	counter := func(key string, v float64) {
		ch <- prometheus.MustNewConstMetric(c.descs[key], prometheus.CounterValue, v)
	}
	gauge("total", float64(s.TotalConns()))
	gauge("idle", float64(s.IdleConns()))
	gauge("acquired", float64(s.AcquiredConns()))
	gauge("max", float64(s.MaxConns()))
	counter("acquires", float64(s.AcquireCount()))
	counter("waits", float64(s.EmptyAcquireCount()))
	counter("canceled", float64(s.CanceledAcquireCount()))
	counter("wait_seconds", s.EmptyAcquireWaitTime().Seconds())
}
