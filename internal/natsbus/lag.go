package natsbus

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Lag follows a service's durable consumer once it is created, for the service's
// "<name>_consumer_pending" gauge.
type Lag struct {
	c atomic.Pointer[jetstream.Consumer]
}

// Follow records the consumer (again, after it was re-created).
func (l *Lag) Follow(c jetstream.Consumer) { l.c.Store(&c) }

// Pending is how many messages wait for the consumer, delivered but unacked included, or
// -1 before it exists or when JetStream does not answer within a second.
func (l *Lag) Pending() float64 {
	c := l.c.Load()
	if c == nil {
		return -1
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	info, err := (*c).Info(ctx)
	if err != nil {
		return -1
	}
	return float64(info.NumPending + uint64(info.NumAckPending))
}
