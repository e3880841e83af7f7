package curation

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/events-platform/events-platform/internal/natsbus"
)

// The replicas share one durable consumer (Options.Consumer), from the stream's new
// messages on (events already there are scored by backfill): an event created, changed
// or published is scored by one replica, and a message is acked only once its scores and
// decision are committed (a failure is delivered again a second later). Registrations,
// favorites and moderation decisions ask for the board to be brought up to date soon (on
// the replica that reads them; the others within RankEvery).

func (s *Service) consume(ctx context.Context) error {
	cons, err := s.bus.JS.CreateOrUpdateConsumer(ctx, natsbus.StreamName, jetstream.ConsumerConfig{
		Durable: s.consumer, FilterSubject: "platform.>", DeliverPolicy: jetstream.DeliverNewPolicy,
		AckPolicy: jetstream.AckExplicitPolicy, AckWait: 30 * time.Second, MaxDeliver: -1,
		InactiveThreshold: 24 * time.Hour,
	})
	if err != nil {
		return fmt.Errorf("create consumer %s: %w", s.consumer, err)
	}
	s.lag.Follow(cons)
	msgs, err := cons.Messages(jetstream.PullMaxMessages(64))
	if err != nil {
		return fmt.Errorf("consume %s: %w", s.consumer, err)
	}
	go func() {
		<-ctx.Done()
		msgs.Stop()
	}()
	for {
		msg, err := msgs.Next()
		if err != nil {
			if ctx.Err() != nil {
				return nil // what was not acked is delivered again
			}
			return fmt.Errorf("next domain event: %w", err)
		}
		if err := s.handle(ctx, msg.Subject(), msg.Data()); err != nil {
			if ctx.Err() == nil {
				s.log.Warn("curation: domain event not handled yet", "subject", msg.Subject(), "err", err)
			}
			_ = msg.NakWithDelay(time.Second)
			continue
		}
		_ = msg.Ack()
	}
}

// handle acts on one domain event.
func (s *Service) handle(ctx context.Context, subject string, data []byte) error {
	kind := strings.TrimPrefix(subject, "platform.")
	switch kind {
	case "event.created", "event.updated", "event.published":
		var m struct {
			Version int   `json:"version"`
			EventID int64 `json:"event_id"`
		}
		if json.Unmarshal(data, &m) != nil || m.Version != 1 || m.EventID <= 0 {
			return nil // not ours to read
		}
		if err := s.Score(ctx, m.EventID); err != nil {
			return err
		}
		s.askRank()
	default:
		if strings.HasPrefix(kind, "registration.") || strings.HasPrefix(kind, "favorite.") ||
			strings.HasPrefix(kind, "moderation.") || strings.HasPrefix(kind, "event.") {
			s.askRank()
		}
	}
	return nil
}
