package visits

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// quarantineRetention is how long refused events are kept for staff.
const quarantineRetention = 30 * 24 * time.Hour

// refusalOf returns the error by which PostgreSQL refused a batch's data
// (SQLSTATE class 22, data exception, or 23, integrity constraint
// violation), or nil. Retrying such an attempt fails the same way for
// ever, unlike one that lost its connection or timed out.
func refusalOf(err error) *pgconn.PgError {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (strings.HasPrefix(pgErr.Code, "22") || strings.HasPrefix(pgErr.Code, "23")) {
		return pgErr
	}
	return nil
}

// missingPartition reports whether a refusal is a row for a month with no
// partition: a check violation, like a CHECK constraint's, but without
// a constraint name.
func missingPartition(refusal *pgconn.PgError) bool {
	return refusal.Code == "23514" && refusal.ConstraintName == ""
}

// ensureMonthsOf creates the partitions of the months events fall in, as
// long as they are months the service keeps (from the raw retention
// period back to a month ahead). A row outside them was never validated:
// it is refused and quarantined like any other, rather than a reason to
// create thousands of tables.
func (s *Service) ensureMonthsOf(ctx context.Context, events []pending) error {
	now := s.now()
	earliest, latest := now.AddDate(0, 0, -s.settings.RawRetentionDays), now.AddDate(0, 1, 0)
	months := map[time.Time]bool{}
	for i := range events {
		ts := events[i].row.Ts.UTC()
		if !ts.Before(earliest) && !ts.After(latest) {
			months[time.Date(ts.Year(), ts.Month(), 1, 0, 0, 0, 0, time.UTC)] = true
		}
	}
	for m := range months {
		if err := s.EnsurePartitions(ctx, m, 1); err != nil {
			return err
		}
	}
	return nil
}

// split returns what to write in place of a batch the database refused:
// its halves, each under a new ID, so that bisection finds the events at
// fault and writes the rest; an event alone is marked for the quarantine.
// The batch's bot counts, which no event spoils, go on in a batch of their
// own.
func (s *Service) split(b batch, refusal *pgconn.PgError) []batch {
	var parts []batch
	switch n := len(b.events); {
	case n == 0:
		s.logger.Error("bot counts dropped: the database refused them", "sqlstate", refusal.Code, "error", refusal.Message)
		return nil
	case n == 1:
		parts = append(parts, batch{id: uuid.New(), events: b.events, refused: refusal})
	default:
		parts = append(parts, batch{id: uuid.New(), events: b.events[: n/2 : n/2]}, batch{id: uuid.New(), events: b.events[n/2:]})
	}
	if len(b.bots) > 0 {
		parts = append(parts, batch{id: uuid.New(), bots: b.bots})
	}
	return parts
}

// quarantineOnce makes one attempt at setting a refused event aside.
func (s *Service) quarantineOnce(ctx context.Context, b batch) error {
	event, err := json.Marshal(quarantined(b.events[0].row))
	if err != nil {
		return err
	}
	var claimed int64
	err = store.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		if claimed, err = store.Q.VisitWriteBatchClaim(ctx, tx, b.id); err != nil || claimed == 0 {
			return err // claimed == 0: an attempt whose COMMIT went unanswered did it
		}
		if err := store.Q.VisitQuarantineInsert(ctx, tx, store.VisitQuarantineInsertParams{
			Sqlstate: b.refused.Code, Reason: b.refused.Message, Event: string(event),
		}); err != nil {
			return fmt.Errorf("quarantine a refused event: %w", err)
		}
		return nil
	})
	if err == nil && claimed > 0 {
		s.metrics.quarantined.Inc()
		s.logger.Warn("visit event quarantined: the database refused it", "sqlstate", b.refused.Code, "error", b.refused.Message)
	}
	return err
}

// unstorable gives up on an event not even the quarantine would hold.
func (s *Service) unstorable(b batch, refusal *pgconn.PgError) {
	s.metrics.dropped.WithLabelValues("unstorable").Add(float64(len(b.events)))
	s.logger.Error("visit event dropped: the database refused it, and its quarantine too",
		"sqlstate", b.refused.Code, "error", b.refused.Message, "quarantine_sqlstate", refusal.Code, "quarantine_error", refusal.Message)
	s.finish(b.events, false) // sending it again would not help
}

// quarantinedEvent is what the quarantine keeps of an event: all but the
// visitor ID. As JSON text it can be stored whatever the values hold
// (NULs become \u0000, bytes that are not UTF-8 become U+FFFD).
type quarantinedEvent struct {
	Ts          time.Time `json:"ts"`
	Name        string    `json:"name"`
	Hostname    string    `json:"hostname"`
	Pathname    string    `json:"pathname"`
	Referrer    string    `json:"referrer"`
	Source      string    `json:"source"`
	UTMSource   string    `json:"utm_source"`
	UTMMedium   string    `json:"utm_medium"`
	UTMCampaign string    `json:"utm_campaign"`
	UTMContent  string    `json:"utm_content"`
	UTMTerm     string    `json:"utm_term"`
	Country     string    `json:"country"`
	Device      string    `json:"device"`
	Browser     string    `json:"browser"`
	OS          string    `json:"os"`
	ScreenWidth int32     `json:"screen_width"`
	Props       string    `json:"props,omitempty"`
}

func quarantined(r store.VisitEventsCopyParams) quarantinedEvent {
	return quarantinedEvent{Ts: r.Ts, Name: r.Name, Hostname: r.Hostname, Pathname: r.Pathname, Referrer: r.Referrer,
		Source: r.Source, UTMSource: r.UtmSource, UTMMedium: r.UtmMedium, UTMCampaign: r.UtmCampaign,
		UTMContent: r.UtmContent, UTMTerm: r.UtmTerm, Country: r.Country, Device: r.Device, Browser: r.Browser,
		OS: r.Os, ScreenWidth: r.ScreenWidth, Props: string(r.Props)}
}
