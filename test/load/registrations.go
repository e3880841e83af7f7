package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/events-platform/events-platform/internal/auth"
)

type registrationOptions struct {
	platform  string
	duration  time.Duration
	clients   int
	attendees int
	capacity  int
}

// runRegistrations: one hot event, many clients registering at once, each as a different
// user; then the oversell count from the database.
func runRegistrations(ctx context.Context, o registrationOptions, stdout io.Writer) error {
	env, cleanup, err := setup(ctx)
	if err != nil {
		return err
	}
	defer cleanup()
	dbURL, keyFile := lookup(env, "DATABASE_URL"), lookup(env, "JWT_PRIVATE_KEY_FILE")
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	var organizer, eventID int64
	if err := conn.QueryRow(ctx, `INSERT INTO users (email, password_hash, name, role) VALUES ('hot-organizer@example.com', 'x', 'Hot', 'organizer') RETURNING id`).Scan(&organizer); err != nil {
		return err
	}
	if err := conn.QueryRow(ctx, `
		INSERT INTO events (title, category, starts_at, city, capacity, status, created_by, published_at)
		VALUES ('Hot Ticket Concert', 'music', now() + interval '30 days', 'Berlin', $1, 'published', $2, now()) RETURNING id`,
		o.capacity, organizer).Scan(&eventID); err != nil {
		return err
	}
	rows, err := conn.Query(ctx, `
		INSERT INTO users (email, password_hash, name) SELECT 'fan' || g || '@example.com', 'x', 'Fan ' || g FROM generate_series(1, $1::int) g
		RETURNING id`, o.attendees)
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	key, err := auth.LoadPrivateKey(keyFile)
	if err != nil {
		return err
	}
	signer := auth.NewSigner(key, "events-platform", time.Hour)
	headers := make([]http.Header, len(ids))
	for i, id := range ids {
		tok, err := signer.Sign(auth.Identity{UserID: id, Role: auth.RoleAttendee})
		if err != nil {
			return err
		}
		headers[i] = http.Header{"Authorization": {"Bearer " + tok}}
	}

	addr := freeAddr()
	svc, err := start(o.platform, env, addr, "events", "")
	if err != nil {
		return err
	}
	defer stop(svc)
	url := fmt.Sprintf("http://%s/api/v1/events/%d/registrations", addr, eventID)
	var next atomic.Int64
	targeter := func(t *vegeta.Target) error {
		i := next.Add(1) - 1
		if i >= int64(len(headers)) {
			return vegeta.ErrNoTargets
		}
		*t = vegeta.Target{Method: "POST", URL: url, Header: headers[i]}
		return nil
	}
	fmt.Fprintf(stdout, "loopback load: one event with %d seats, %d users registering once each, %d concurrent clients, at most %s\n\n",
		o.capacity, len(ids), o.clients, o.duration)
	a := vegeta.NewAttacker(vegeta.Workers(uint64(o.clients)), vegeta.MaxWorkers(uint64(o.clients)), vegeta.KeepAlive(true),
		vegeta.Connections(o.clients), vegeta.MaxConnections(o.clients), vegeta.Timeout(30*time.Second))
	var m vegeta.Metrics
	codes := map[uint16]int{}
	var first, last time.Time
	for res := range a.Attack(targeter, vegeta.Rate{}, o.duration, "register") {
		if res.Error == vegeta.ErrNoTargets.Error() {
			continue // every attendee has registered: the attack ends, nothing was sent
		}
		m.Add(res)
		codes[res.Code]++
		if first.IsZero() || res.Timestamp.Before(first) {
			first = res.Timestamp
		}
		if res.End().After(last) {
			last = res.End()
		}
	}
	m.Close()
	created := codes[http.StatusCreated]
	elapsed := last.Sub(first)
	backlog, drained := outboxDrain(ctx, conn, time.Minute)

	var confirmed, waitlisted, counter, capacity, dupes int
	if err := conn.QueryRow(ctx, `
		SELECT (SELECT count(*) FROM event_registrations WHERE event_id = $1 AND status = 'confirmed'),
		       (SELECT count(*) FROM event_registrations WHERE event_id = $1 AND status = 'waitlisted'),
		       registered_count, capacity,
		       (SELECT count(*) - count(DISTINCT user_id) FROM event_registrations WHERE event_id = $1)
		FROM events WHERE id = $1`, eventID).Scan(&confirmed, &waitlisted, &counter, &capacity, &dupes); err != nil {
		return err
	}
	var gaps int
	_ = conn.QueryRow(ctx, `
		SELECT count(*) FROM (SELECT id, row_number() OVER (ORDER BY id) rn FROM event_registrations WHERE event_id = $1 AND status = 'confirmed') c
		WHERE EXISTS (SELECT 1 FROM event_registrations w WHERE w.event_id = $1 AND w.status = 'waitlisted' AND w.id < c.id)`, eventID).Scan(&gaps)
	var sb strings.Builder
	for code, n := range codes {
		fmt.Fprintf(&sb, " %d×%d", n, code)
	}
	fmt.Fprintf(stdout, "requests %d (%s) in %s\n", m.Requests, strings.TrimSpace(sb.String()), elapsed.Round(time.Millisecond))
	fmt.Fprintf(stdout, "registrations/s  %.0f (201 responses per second of the attack)\n", float64(created)/elapsed.Seconds())
	fmt.Fprintf(stdout, "latency          p50 %s  p95 %s  p99 %s  max %s\n", round(m.Latencies.P50), round(m.Latencies.P95), round(m.Latencies.P99), round(m.Latencies.Max))
	fmt.Fprintf(stdout, "confirmed %d of %d seats, waitlisted %d, counter %d\n", confirmed, capacity, waitlisted, counter)
	fmt.Fprintf(stdout, "oversell %d, duplicate users %d, confirmed after a waitlisted one %d\n", max(confirmed-capacity, 0), dupes, gaps)
	if drained >= 0 {
		fmt.Fprintf(stdout, "outbox            %d domain events not yet on JetStream when the attack ended, all relayed %s later\n", backlog, drained.Round(time.Millisecond))
	} else {
		fmt.Fprintf(stdout, "outbox            %d domain events not yet on JetStream when the attack ended, not all relayed a minute later\n", backlog)
	}
	if len(m.Errors) > 0 {
		fmt.Fprintf(stdout, "errors: %v\n", m.Errors)
	}
	return nil
}

// outboxDrain returns how many outbox rows were waiting for the relay, and how long it
// then took to publish them all (-1 when it had not after limit).
func outboxDrain(ctx context.Context, conn *pgx.Conn, limit time.Duration) (int, time.Duration) {
	start := time.Now()
	backlog := -1
	for time.Since(start) < limit {
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE published_at IS NULL`).Scan(&n); err != nil {
			return backlog, -1
		}
		if backlog < 0 {
			backlog = n
		}
		if n == 0 {
			return backlog, time.Since(start)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return backlog, -1
}

func lookup(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val // the last one wins, as for exec
		}
	}
	return v
}
