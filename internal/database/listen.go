package database

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgxlisten"
)

// Subscriber reacts to notifications on one channel. Reset is called whenever
// notifications may have been missed (on every (re)connection and after the
// connection is lost), so a cache can drop everything it holds.
type Subscriber interface {
	Notify(payload string)
	Reset()
}

// Listener relays Postgres notifications to subscribers over a dedicated
// connection, reconnecting after failures.
type Listener struct {
	pool      *pgxpool.Pool
	logger    *slog.Logger
	listening atomic.Bool
	listener  pgxlisten.Listener
	// subscribers is only written before Run starts.
	subscribers []Subscriber
}

// NewListener returns a Listener that takes its connection settings from pool.
func NewListener(pool *pgxpool.Pool, logger *slog.Logger) *Listener {
	l := &Listener{pool: pool, logger: logger}
	l.listener = pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			return pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
		},
		ReconnectDelay: time.Second,
		LogError: func(ctx context.Context, err error) {
			// The connection is gone or a handler failed: anything cached may
			// be stale until the next successful connection.
			l.listening.Store(false)
			for _, s := range l.subscribers {
				s.Reset()
			}
			if ctx.Err() == nil {
				l.logger.WarnContext(ctx, "notification listener interrupted", "error", err)
			}
		},
	}
	return l
}

// Subscribe routes channel's notifications to s. Call it before Run.
func (l *Listener) Subscribe(channel string, s Subscriber) {
	l.subscribers = append(l.subscribers, s)
	l.listener.Handle(channel, &handler{listener: l, subscriber: s})
}

// Listening reports whether notifications are currently being received;
// caches must not trust themselves while it is false.
func (l *Listener) Listening() bool { return l.listening.Load() }

// Run listens until ctx ends.
func (l *Listener) Run(ctx context.Context) {
	_ = l.listener.Listen(ctx)
	l.listening.Store(false)
}

type handler struct {
	listener   *Listener
	subscriber Subscriber
}

func (h *handler) HandleNotification(_ context.Context, n *pgconn.Notification, _ *pgx.Conn) error {
	h.subscriber.Notify(n.Payload)
	return nil
}

// HandleBacklog runs right after LISTEN succeeds: drop what may be stale,
// then trust the cache again.
func (h *handler) HandleBacklog(context.Context, string, *pgx.Conn) error {
	h.subscriber.Reset()
	h.listener.listening.Store(true)
	return nil
}
