package visits

import (
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/config"
	"github.com/harmedpatients/hpa/internal/pgtest"
)

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func testSettings() config.Visits {
	london, _ := time.LoadLocation("Europe/London")
	return config.Visits{
		Hostnames: []string{"www.example.org"}, TimeZone: london, HonourDNT: true, BufferSize: 100_000,
		FlushInterval: 20 * time.Millisecond, BatchSize: 10_000, VisitorRateLimit: 1000, RawRetentionDays: 400,
		RollupInterval: time.Minute,
	}
}

func newTestService(t *testing.T, c *clock) *Service {
	t.Helper()
	return NewService(pgtest.Pool(t), testSettings(), nil, nil, c.now)
}
