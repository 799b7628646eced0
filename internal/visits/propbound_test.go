package visits

import (
	"context"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/pgtest"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// Once the bound is reached, a name another instance admitted earlier is
// still kept: only names the site never admitted are dropped.
func TestPropertyNamesAdmittedByAnotherInstanceAreKept(t *testing.T) {
	ctx := context.Background()
	settings := testSettings()
	settings.MaxPropKeys = 2
	first := NewService(pgtest.Pool(t), Deps{}, settings, time.Now)
	second := NewService(first.pool, Deps{}, settings, time.Now)
	write := func(s *Service, props string) (kept string) {
		t.Helper()
		rows := []store.VisitEventsCopyParams{{Props: []byte(props)}}
		err := pgx.BeginFunc(ctx, first.pool, func(tx pgx.Tx) error {
			_, admitted, refused, err := s.boundProps(ctx, tx, rows)
			if err == nil {
				s.rememberProps(admitted, refused)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return string(rows[0].Props)
	}
	if kept := write(first, `{"amount":"10","method":"card"}`); kept != `{"amount":"10","method":"card"}` {
		t.Fatalf("within the bound: %s", kept)
	}
	if kept := write(second, `{"campaign":"spring"}`); kept != "" {
		t.Fatalf("beyond the bound: %s", kept)
	}
	if kept := write(second, `{"amount":"25"}`); kept != `{"amount":"25"}` {
		t.Errorf("a name the first instance admitted, written by the second after the bound: %q", kept)
	}
}
