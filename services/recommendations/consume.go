package recommendations

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/events-platform/events-platform/internal/natsbus"
	"github.com/events-platform/events-platform/services/recommendations/registry"
)

// Every replica follows the domain events itself (an ordered consumer of its own, from
// now on): a promoted model must reach each replica's memory, a registration must forget
// the user's cached pages, and an event's change or moderation decision reloads the
// catalogue soon. A promotion
// missed while disconnected is caught by the catalogue's periodic reload, which checks the
// live version too.

func (s *Service) consume(ctx context.Context) error {
	cons, err := s.bus.JS.OrderedConsumer(ctx, natsbus.StreamName, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{"platform.>"}, DeliverPolicy: jetstream.DeliverNewPolicy,
	})
	if err != nil {
		return fmt.Errorf("create ordered consumer: %w", err)
	}
	msgs, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("consume: %w", err)
	}
	go func() {
		<-ctx.Done()
		msgs.Stop()
	}()
	for {
		msg, err := msgs.Next()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("next domain event: %w", err)
		}
		s.handle(ctx, msg.Subject(), msg.Data())
	}
}

// handle acts on one domain event; what fails is logged (the periodic reload and the
// cache's expiry make up for it).
func (s *Service) handle(ctx context.Context, subject string, data []byte) {
	switch {
	case subject == registry.SubjectModelPromoted:
		if err := s.Reload(ctx, true); err != nil {
			s.log.Warn("recommendations: load promoted model", "err", err)
		}
	case strings.HasPrefix(subject, "platform.registration."):
		var m struct {
			UserID int64 `json:"user_id"`
		}
		if json.Unmarshal(data, &m) == nil && m.UserID != 0 {
			if err := s.cache.forget(ctx, m.UserID); err != nil {
				s.log.Debug("recommendations: forget cached pages", "user", m.UserID, "err", err)
			}
		}
		s.askRefresh() // seat counts and full events change what may be shown
	case strings.HasPrefix(subject, "platform.event."), strings.HasPrefix(subject, "platform.moderation."):
		s.askRefresh() // an approved event may be recommended now; a held or rejected one no more
	}
}

func (s *Service) askRefresh() {
	select {
	case s.refresh <- struct{}{}:
	default:
	}
}
