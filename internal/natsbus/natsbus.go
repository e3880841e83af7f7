// Package natsbus connects to NATS JetStream, keeps the PLATFORM stream in place and relays
// the transactional outbox to it.
package natsbus

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// StreamName is the one stream every domain event goes to, on subjects platform.<entity>.<verb>.
const StreamName = "PLATFORM"

// Bus is a NATS connection with its JetStream context.
type Bus struct {
	Conn *nats.Conn
	JS   jetstream.JetStream
}

// Connect dials url, reconnecting for ever in the background, and ensures the stream.
func Connect(ctx context.Context, url, name string) (*Bus, error) {
	nc, err := nats.Connect(url, nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(500*time.Millisecond),
		nats.RetryOnFailedConnect(false), nats.Timeout(5*time.Second))
	if err != nil {
		return nil, fmt.Errorf("connect to nats %s: %w", url, err)
	}
	// Async publishes (the outbox relay's) fail after their ack timeout rather than wait
	// for ever while NATS is away.
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncTimeout(ackTimeout))
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	b := &Bus{Conn: nc, JS: js}
	if err := b.EnsureStream(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	return b, nil
}

// EnsureStream creates or updates the PLATFORM stream. The duplicate window lets JetStream
// drop a message the outbox relay publishes twice (same Nats-Msg-Id).
func (b *Bus) EnsureStream(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := b.JS.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        StreamName,
		Description: "Domain events of the Events Platform",
		Subjects:    []string{"platform.>"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		MaxAge:      7 * 24 * time.Hour,
		Duplicates:  10 * time.Minute,
	})
	if err != nil {
		return fmt.Errorf("ensure stream %s: %w", StreamName, err)
	}
	return nil
}

// Check reports whether the connection is up, for readiness.
func (b *Bus) Check(context.Context) error {
	if !b.Conn.IsConnected() {
		return fmt.Errorf("nats: %s", b.Conn.Status())
	}
	return nil
}

// Close drains the connection.
func (b *Bus) Close() {
	_ = b.Conn.Drain()
}

// StartEmbedded runs a JetStream-enabled NATS server in this process on a loopback
// port (-1: any free one), storing under dir. It serves local `all` mode without NATS_URL,
// and tests.
func StartEmbedded(dir string, port int) (*server.Server, error) {
	s, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir, NoSigs: true, NoLog: true,
	})
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("embedded nats did not start")
	}
	return s, nil
}
