package integration

import (
	"context"
	"log/slog"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats-server/v2/server"

	"github.com/events-platform/events-platform/internal/natsbus"
)

// Outbox is an in-process JetStream server of one test, which the test can stop and start
// again on the same port and store to play a NATS outage, with a connection to it and the
// outbox relay of a database running against it until the test ends.
type Outbox struct {
	Bus  *natsbus.Bus
	srv  *server.Server
	port int
	dir  string
}

// StartOutbox starts the server, connects and runs the relay of db.
func StartOutbox(t testing.TB, db *pgxpool.Pool) *Outbox {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &Outbox{port: ln.Addr().(*net.TCPAddr).Port, dir: t.TempDir()}
	ln.Close()
	o.StartNATS(t)
	t.Cleanup(func() { o.srv.Shutdown() })
	if o.Bus, err = natsbus.Connect(context.Background(), o.srv.ClientURL(), t.Name()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(o.Bus.Close)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	relay := natsbus.NewRelay(db, o.Bus.JS, slog.New(slog.DiscardHandler), nil)
	go func() { _ = relay.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return o
}

// StopNATS shuts the server down; the relay keeps trying and the client reconnecting.
func (o *Outbox) StopNATS(t testing.TB) {
	t.Helper()
	o.srv.Shutdown()
	o.srv.WaitForShutdown()
}

// StartNATS starts the server (again) on the same port and store.
func (o *Outbox) StartNATS(t testing.TB) {
	t.Helper()
	srv, err := natsbus.StartEmbedded(o.dir, o.port)
	if err != nil {
		t.Fatal(err)
	}
	o.srv = srv
}
