package natsbus

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
)

// NotifyChannel wakes the relay as soon as a transaction with outbox rows commits. Code
// that writes outbox rows in its own SQL (rather than with Enqueue) must notify it too.
const NotifyChannel = "outbox"

// Enqueue writes a domain event to the outbox inside tx, so that it is published if and
// only if tx commits.
func Enqueue(ctx context.Context, tx pgx.Tx, subject string, payload any) error {
	body, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode %s payload: %w", subject, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO outbox (subject, payload) VALUES ($1, $2)`, subject, body); err != nil {
		return fmt.Errorf("enqueue %s: %w", subject, err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, '')`, NotifyChannel); err != nil {
		return fmt.Errorf("notify outbox: %w", err)
	}
	return nil
}

// Relay publishes outbox rows to JetStream in id order, each with Nats-Msg-Id = the row's
// msg_id, and marks them published. Several relays (one per replica) share the work through
// SKIP LOCKED; a row is published again only if marking it failed, and JetStream's
// duplicate window or the consumer's id check drops that copy.
type Relay struct {
	db        *pgxpool.Pool
	js        jetstream.JetStream
	log       *slog.Logger
	batch     int
	poll      time.Duration
	retention time.Duration
	published prometheus.Counter
	failures  prometheus.Counter
}

// NewRelay returns a relay; reg may be nil.
func NewRelay(db *pgxpool.Pool, js jetstream.JetStream, log *slog.Logger, reg prometheus.Registerer) *Relay {
	r := &Relay{
		db: db, js: js, log: log, batch: 1000, poll: time.Second, retention: 24 * time.Hour,
		published: prometheus.NewCounter(prometheus.CounterOpts{Name: "outbox_published_total", Help: "Outbox messages published to JetStream."}),
		failures:  prometheus.NewCounter(prometheus.CounterOpts{Name: "outbox_publish_failures_total", Help: "Failed outbox publish attempts."}),
	}
	if reg != nil {
		reg.MustRegister(r.published, r.failures)
	}
	return r
}

// Run relays until ctx ends, then returns nil. It wakes on NOTIFY and polls every second
// in case a notification was missed or NATS was down; failures are counted, logged and
// retried, never returned.
func (r *Relay) Run(ctx context.Context) error {
	wake := make(chan struct{}, 1)
	go r.listen(ctx, wake)
	ticker := time.NewTicker(r.poll)
	defer ticker.Stop()
	lastCleanup := time.Now()
	for {
		for {
			n, err := r.RelayOnce(ctx)
			if err != nil {
				if ctx.Err() == nil {
					r.failures.Inc()
					r.log.Warn("outbox relay", "err", err)
				}
				break
			}
			if n < r.batch {
				break
			}
		}
		if time.Since(lastCleanup) > time.Minute {
			lastCleanup = time.Now()
			if _, err := r.db.Exec(ctx, `DELETE FROM outbox WHERE published_at < now() - $1::interval`, r.retention.String()); err != nil && ctx.Err() == nil {
				r.log.Warn("outbox cleanup", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-ticker.C:
		}
	}
}

func (r *Relay) listen(ctx context.Context, wake chan<- struct{}) {
	for ctx.Err() == nil {
		err := func() error {
			conn, err := r.db.Acquire(ctx)
			if err != nil {
				return err
			}
			defer conn.Release()
			if _, err := conn.Exec(ctx, "LISTEN "+NotifyChannel); err != nil {
				return err
			}
			defer func() { _, _ = conn.Exec(context.WithoutCancel(ctx), "UNLISTEN "+NotifyChannel) }()
			for {
				if _, err := conn.Conn().WaitForNotification(ctx); err != nil {
					return err
				}
				select {
				case wake <- struct{}{}:
				default:
				}
			}
		}()
		if ctx.Err() == nil {
			r.log.Debug("outbox listen", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

// ackTimeout bounds the wait for the acks of one batch.
const ackTimeout = 5 * time.Second

// RelayOnce publishes one batch and returns how many rows it published.
func (r *Relay) RelayOnce(ctx context.Context) (int, error) {
	tx, err := r.db.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	rows, err := tx.Query(ctx, `
		SELECT id, msg_id::text, subject, payload FROM outbox
		WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`, r.batch)
	if err != nil {
		return 0, fmt.Errorf("select outbox: %w", err)
	}
	type row struct {
		ID      int64
		MsgID   string
		Subject string
		Payload []byte
	}
	pending, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
	if err != nil {
		return 0, fmt.Errorf("read outbox: %w", err)
	}
	if len(pending) == 0 {
		return 0, nil
	}
	// The batch is published at once and its acks awaited together: one at a time, each
	// waiting for its ack, a relay starved of CPU by a burst of registrations published
	// 200 messages a second. Rows are marked up to the first failure; the rest go again
	// next round, where JetStream drops those already stored as duplicates of their
	// Nats-Msg-Id. So the stream keeps the outbox's order except when the server refused
	// one message and stored later ones of its batch: the refused one follows them.
	futures := make([]jetstream.PubAckFuture, 0, len(pending))
	var pubErr error
	for _, p := range pending {
		msg := &nats.Msg{Subject: p.Subject, Data: p.Payload, Header: nats.Header{}}
		msg.Header.Set("Content-Type", "application/json")
		f, err := r.js.PublishMsgAsync(msg, jetstream.WithMsgID(p.MsgID), jetstream.WithExpectStream(StreamName))
		if err != nil {
			pubErr = fmt.Errorf("publish outbox %d (%s): %w", p.ID, p.Subject, err)
			break
		}
		futures = append(futures, f)
	}
	done := make([]int64, 0, len(futures))
	timeout := time.NewTimer(ackTimeout)
	defer timeout.Stop()
acks:
	for i, f := range futures {
		select {
		case <-f.Ok():
			done = append(done, pending[i].ID)
		case err := <-f.Err():
			pubErr = fmt.Errorf("publish outbox %d (%s): %w", pending[i].ID, pending[i].Subject, err)
			break acks
		case <-timeout.C:
			pubErr = fmt.Errorf("publish outbox %d (%s): no ack after %s", pending[i].ID, pending[i].Subject, ackTimeout)
			break acks
		case <-ctx.Done():
			pubErr = ctx.Err()
			break acks
		}
	}
	if len(done) > 0 {
		if _, err := tx.Exec(ctx, `UPDATE outbox SET published_at = now() WHERE id = ANY($1)`, done); err != nil {
			return 0, fmt.Errorf("mark published: %w", err)
		}
		if err := tx.Commit(ctx); err != nil {
			return 0, fmt.Errorf("commit relay batch: %w", err)
		}
		r.published.Add(float64(len(done)))
	}
	if pubErr != nil {
		return len(done), pubErr
	}
	return len(done), nil
}
