package analytics

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/events-platform/events-platform/internal/natsbus"
)

// Domain events in, interactions out: what the services committed (registrations,
// favorites) is recorded from their domain events, so those counts are exact whatever
// clients send. One durable consumer is shared by every replica; messages are written in
// groups (by count, or every second) and acked only once written, so a crash redelivers
// them and their message ids keep them from landing twice.

// consumeBatch and consumeEvery bound how many domain events wait before being written.
const (
	consumeBatch = 1000
	consumeEvery = time.Second
)

// domainEvent is the part of the events service's payloads analytics reads.
type domainEvent struct {
	Version    int       `json:"version"`
	EventID    int64     `json:"event_id"`
	UserID     int64     `json:"user_id"`
	OccurredAt time.Time `json:"occurred_at"`
}

// domainTypes maps a subject to the interaction it records; subjects not here (an
// event's own lifecycle, a promotion from the waitlist, a check-in) record none.
var domainTypes = map[string]string{
	"platform.registration.confirmed":  "register",
	"platform.registration.waitlisted": "register",
	"platform.registration.cancelled":  "unregister",
	"platform.favorite.added":          "favorite",
	"platform.favorite.removed":        "unfavorite",
}

// domainRow is the interaction a domain event records, and whether it records one.
func domainRow(subject string, data []byte, id string, stream string, seq uint64, published time.Time) (row, bool) {
	typ, ok := domainTypes[subject]
	if !ok {
		return row{}, false
	}
	var e domainEvent
	if err := json.Unmarshal(data, &e); err != nil || e.Version != 1 || e.EventID <= 0 || e.UserID <= 0 {
		return row{}, false
	}
	at := e.OccurredAt
	if at.IsZero() {
		at = published
	}
	return row{OccurredAt: at.UTC(), ID: domainID(id, stream, seq), Type: typ, EventID: e.EventID, UserID: e.UserID,
		Visitor: e.UserID, Source: sourceDomain}, true
}

func (s *Service) consume(ctx context.Context) error {
	cons, err := s.bus.JS.CreateOrUpdateConsumer(ctx, natsbus.StreamName, jetstream.ConsumerConfig{
		Durable: s.consumer, FilterSubject: "platform.>", DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy: jetstream.AckExplicitPolicy, AckWait: 30 * time.Second, MaxDeliver: -1,
		InactiveThreshold: 24 * time.Hour,
	})
	if err != nil {
		return fmt.Errorf("create consumer %s: %w", s.consumer, err)
	}
	s.lag.Follow(cons)
	msgs := make(chan jetstream.Msg, consumeBatch)
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		select {
		case msgs <- msg:
		case <-ctx.Done():
		}
	}, jetstream.PullMaxMessages(2*consumeBatch))
	if err != nil {
		return fmt.Errorf("consume %s: %w", s.consumer, err)
	}
	defer cc.Stop()
	tick := time.NewTicker(consumeEvery)
	defer tick.Stop()
	var batch []jetstream.Msg
	for {
		select {
		case <-ctx.Done():
			return nil // what was not acked is delivered again
		case m := <-msgs:
			batch = append(batch, m)
			if len(batch) < consumeBatch {
				continue
			}
		case <-tick.C:
			if len(batch) == 0 {
				continue
			}
		}
		s.record(ctx, batch)
		batch = batch[:0]
	}
}

// record writes the interactions of msgs and acks them; when the write fails they are
// delivered again after a second.
func (s *Service) record(ctx context.Context, msgs []jetstream.Msg) {
	rows := make([]row, 0, len(msgs))
	oldest := s.parts.oldest(time.Now())
	for _, m := range msgs {
		meta, err := m.Metadata()
		if err != nil {
			continue
		}
		r, ok := domainRow(m.Subject(), m.Data(), m.Headers().Get(jetstream.MsgIDHeader), meta.Stream, meta.Sequence.Stream, meta.Timestamp)
		if !ok {
			continue
		}
		if r.OccurredAt.Before(oldest) {
			// A replay of a stream older than the retention: those months are gone.
			s.metrics.rejected.WithLabelValues("expired").Inc()
			continue
		}
		rows = append(rows, r)
	}
	if err := s.writer.write(ctx, rows); err != nil {
		if ctx.Err() == nil {
			s.log.Warn("analytics: domain events not recorded yet", "messages", len(msgs), "err", err)
		}
		for _, m := range msgs {
			_ = m.NakWithDelay(time.Second)
		}
		return
	}
	for _, m := range msgs {
		_ = m.Ack()
	}
}
