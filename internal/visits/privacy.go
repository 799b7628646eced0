package visits

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"net/netip"
	"sync"
	"time"

	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
)

// salts hands out the current day's salt. The first process to need a
// day's salt creates it in the database; the others read the same one. A
// process forgets a salt as soon as its day is over, and the maintenance
// job deletes it from the database.
type salts struct {
	pool store.DB
	loc  *time.Location
	mu   sync.Mutex
	day  time.Time
	// hashers are HMAC-SHA256 states keyed with the current salt.
	hashers *sync.Pool
}

func newSalts(pool store.DB, loc *time.Location) *salts {
	return &salts{pool: pool, loc: loc}
}

// forDay returns a pool of hashers keyed with day's salt.
func (s *salts) forDay(ctx context.Context, day time.Time) (*sync.Pool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hashers != nil && s.day.Equal(day) {
		return s.hashers, nil
	}
	salt, err := loadSalt(ctx, s.pool, day)
	if err != nil {
		return nil, hpa.Errorf(hpa.EUNAVAILABLE, "visit collection is briefly unavailable; retry shortly").WithReason(ReasonSaltUnavailable)
	}
	s.day = day
	s.hashers = newSaltPool(salt)
	return s.hashers, nil
}

// newSaltPool returns a pool of HMAC-SHA256 states keyed with salt.
func newSaltPool(salt []byte) *sync.Pool {
	return &sync.Pool{New: func() any { return hmac.New(sha256.New, salt) }}
}

// loadSalt returns day's salt, creating it if no process has yet.
func loadSalt(ctx context.Context, db store.DBTX, day time.Time) ([]byte, error) {
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	d := pgDate(day)
	if err := store.Q.VisitSaltInsert(ctx, db, store.VisitSaltInsertParams{Day: d, Salt: fresh}); err != nil {
		return nil, fmt.Errorf("create salt: %w", err)
	}
	salt, err := store.Q.VisitSaltGet(ctx, db, d)
	if err != nil {
		return nil, fmt.Errorf("read salt: %w", err)
	}
	return salt, nil
}

// visitorID is the keyed hash identifying one visitor for one day: the
// salt, the site, the client address and the User-Agent, none of which is
// kept.
func visitorID(hashers *sync.Pool, site string, ip netip.Addr, userAgent string) int64 {
	h := hashers.Get().(hash.Hash)
	h.Reset()
	h.Write([]byte(site))
	h.Write([]byte{0})
	b := ip.As16()
	h.Write(b[:])
	h.Write([]byte(userAgent))
	var sum [sha256.Size]byte
	out := h.Sum(sum[:0])
	hashers.Put(h)
	return int64(binary.BigEndian.Uint64(out[:8]))
}

func pgDate(t time.Time) time.Time { return t }
