package search

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/events-platform/events-platform/internal/natsbus"
)

func (s *Service) consume(ctx context.Context) (jetstream.ConsumeContext, error) {
	name := "search-cache"
	if s.prefix != "" {
		name += "-" + strings.NewReplacer(":", "-", ".", "-", "*", "-", ">", "-").Replace(strings.Trim(s.prefix, ":"))
	}
	// One filter subject: NATS servers before 2.10 do not take several.
	cons, err := s.js.CreateOrUpdateConsumer(ctx, natsbus.StreamName, jetstream.ConsumerConfig{
		Durable: name, FilterSubject: "platform.event.>", DeliverPolicy: jetstream.DeliverNewPolicy,
		AckPolicy: jetstream.AckExplicitPolicy,
		// A consumer nobody has pulled from for a day (a removed deployment, a test run)
		// is deleted by the server rather than kept for ever.
		InactiveThreshold: 24 * time.Hour,
	})
	if err != nil {
		return nil, fmt.Errorf("create consumer %s: %w", name, err)
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		if err := s.Invalidate(ctx); err != nil {
			s.log.Warn("search cache invalidation", "subject", msg.Subject(), "err", err)
			_ = msg.Nak()
			return
		}
		_ = msg.Ack()
	})
	if err != nil {
		return nil, fmt.Errorf("consume %s: %w", name, err)
	}
	return cc, nil
}
