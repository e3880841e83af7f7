package realtime

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	gocent "github.com/centrifugal/centrifuge-go"
	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/natsbus"
	"github.com/events-platform/events-platform/services/events"
	"github.com/events-platform/events-platform/test/integration"
)

// env is one or more realtime replicas sharing a Redis prefix and a JetStream, the events
// service that publishes the domain events, and a signer for tokens.
type env struct {
	t      *testing.T
	db     *pgxpool.Pool
	bus    *natsbus.Bus
	signer *auth.Signer
	key    ed25519.PrivateKey
	redis  string
	prefix string
	events *httptest.Server
}

// newEnv starts the dependencies and the events service; change adjusts its options.
func newEnv(t *testing.T, change ...func(*events.Options)) *env {
	t.Helper()
	db, _ := integration.Pool(t)
	out := integration.StartOutbox(t, db)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	e := &env{t: t, db: db, bus: out.Bus, signer: auth.NewSigner(key, "events-platform", 15*time.Minute), key: key,
		redis: integration.RedisURL(t), prefix: strings.TrimSuffix(integration.KeyPrefix(t), ":")}
	opts := events.Options{Log: quiet(), DB: db, Verifier: e.verifier(), Version: "test"}
	for _, c := range change {
		c(&opts)
	}
	evs := events.New(opts)
	e.events = httptest.NewServer(evs.Handler())
	t.Cleanup(e.events.Close)
	return e
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func (e *env) verifier() *auth.Verifier {
	return auth.NewVerifier("events-platform", e.signer.PublicKey())
}

// replica starts a realtime replica and returns its base URL; change adjusts its options.
func (e *env) replica(change ...func(*Options)) (*Service, string) {
	e.t.Helper()
	opts := Options{Log: quiet(), DB: e.db, Bus: e.bus, RedisURL: e.redis, RedisPrefix: e.prefix,
		Verifier: e.verifier(), Version: "test", Consumer: strings.NewReplacer(":", "-", ".", "-").Replace(e.prefix)}
	for _, c := range change {
		c(&opts)
	}
	svc, err := New(opts)
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = svc.Run(ctx); close(done) }()
	srv := httptest.NewServer(svc.Handler())
	e.t.Cleanup(func() { srv.Close(); cancel(); <-done })
	return svc, srv.URL
}

func (e *env) user(role string) (int64, string) {
	e.t.Helper()
	var id int64
	n := fmt.Sprint(time.Now().UnixNano())
	if err := e.db.QueryRow(context.Background(), `INSERT INTO users (email, password_hash, name, role) VALUES ($1, 'x', $2, $3) RETURNING id`,
		role+n+"@example.com", "User "+n, role).Scan(&id); err != nil {
		e.t.Fatal(err)
	}
	return id, e.token(id, role, 15*time.Minute)
}

// token signs a token for the user that expires after ttl (a negative ttl: expired).
func (e *env) token(id int64, role string, ttl time.Duration) string {
	e.t.Helper()
	tok, err := auth.NewSigner(e.key, "events-platform", ttl).Sign(auth.Identity{UserID: id, Role: role})
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// client is a centrifuge-go connection to a replica that records what it receives.
type client struct {
	t   *testing.T
	c   *gocent.Client
	mu  sync.Mutex
	got map[string][]Publication
	err []error
}

func connect(t *testing.T, base, token string) *client {
	t.Helper()
	ws := "ws" + strings.TrimPrefix(base, "http") + "/ws"
	cl := &client{t: t, got: map[string][]Publication{}}
	cl.c = gocent.NewJsonClient(ws, gocent.Config{Token: token, MinReconnectDelay: 50 * time.Millisecond, MaxReconnectDelay: 200 * time.Millisecond})
	cl.c.OnError(func(e gocent.ErrorEvent) { cl.mu.Lock(); cl.err = append(cl.err, e.Error); cl.mu.Unlock() })
	t.Cleanup(cl.c.Close)
	if err := cl.c.Connect(); err != nil {
		t.Fatal(err)
	}
	return cl
}

// subscribe joins ch and returns nil, or the error the server answered.
func (cl *client) subscribe(ch string) error {
	cl.t.Helper()
	sub, err := cl.c.NewSubscription(ch, gocent.SubscriptionConfig{Recoverable: true, Positioned: true})
	if err != nil {
		return err
	}
	result := make(chan error, 1)
	sub.OnSubscribed(func(gocent.SubscribedEvent) {
		select {
		case result <- nil:
		default:
		}
	})
	sub.OnError(func(e gocent.SubscriptionErrorEvent) {
		select {
		case result <- e.Error:
		default:
		}
	})
	sub.OnPublication(func(e gocent.PublicationEvent) {
		var p Publication
		if err := json.Unmarshal(e.Data, &p); err != nil {
			cl.t.Errorf("%s: publication %s: %v", ch, e.Data, err)
		}
		cl.mu.Lock()
		cl.got[ch] = append(cl.got[ch], p)
		cl.mu.Unlock()
	})
	if err := sub.Subscribe(); err != nil {
		return err
	}
	select {
	case err := <-result:
		return err
	case <-time.After(10 * time.Second):
		cl.t.Fatalf("subscribe %s: no answer", ch)
		return nil
	}
}

// wait returns ch's publications once there are n, failing after a while.
func (cl *client) wait(ch string, n int) []Publication {
	cl.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		cl.mu.Lock()
		got := append([]Publication(nil), cl.got[ch]...)
		cl.mu.Unlock()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			cl.t.Fatalf("%s: %d publications, want %d", ch, len(got), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func codeOf(err error) uint32 {
	var e *gocent.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

func TestConnectAndJoin(t *testing.T) {
	e := newEnv(t)
	_, base := e.replica()
	me, token := e.user("attendee")
	other, _ := e.user("attendee")

	cl := connect(t, base, token)
	if err := cl.subscribe(userChannel(me)); err != nil {
		t.Errorf("my own channel: %v", err)
	}
	if err := cl.subscribe(userChannel(other)); codeOf(err) != 103 {
		t.Errorf("another user's channel: %v, want permission denied (103)", err)
	}
	for _, ch := range []string{"event:0", "nope", "user:x", "feed:Berlin"} {
		if err := cl.subscribe(ch); codeOf(err) != 102 {
			t.Errorf("%s: %v, want unknown channel (102)", ch, err)
		}
	}
	if err := cl.subscribe("feed:berlin"); err != nil {
		t.Errorf("feed:berlin: %v", err)
	}
	if st := cl.c.State(); st != gocent.StateConnected {
		t.Errorf("after refused joins the connection is %s, want connected", st)
	}

	anon := connect(t, base, "")
	if err := anon.subscribe("event:1"); err != nil {
		t.Errorf("anonymous, public channel: %v", err)
	}
	if err := anon.subscribe(userChannel(me)); codeOf(err) != 103 {
		t.Errorf("anonymous, user channel: %v, want permission denied", err)
	}

	// A header token: the service checks it before the upgrade.
	req, _ := http.NewRequest("GET", base+"/ws", nil)
	req.Header.Set("Authorization", "Bearer forged")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged header token: %d, want 401", res.StatusCode)
	}
}

func TestBadTokensAreRefused(t *testing.T) {
	e := newEnv(t)
	_, base := e.replica()
	id, _ := e.user("attendee")
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	forged, _ := auth.NewSigner(otherKey, "events-platform", time.Minute).Sign(auth.Identity{UserID: id, Role: "attendee"})
	for name, tc := range map[string]struct {
		token string
		code  uint32
	}{
		"forged":  {forged, 101},
		"garbage": {"x.y.z", 101},
		"expired": {e.token(id, "attendee", -time.Minute), 109},
	} {
		t.Run(name, func(t *testing.T) {
			errs := make(chan error, 10)
			ws := "ws" + strings.TrimPrefix(base, "http") + "/ws"
			c := gocent.NewJsonClient(ws, gocent.Config{Token: tc.token, MinReconnectDelay: time.Second})
			defer c.Close()
			c.OnError(func(ev gocent.ErrorEvent) { errs <- ev.Error })
			c.OnDisconnected(func(ev gocent.DisconnectedEvent) { errs <- fmt.Errorf("disconnected %d %s", ev.Code, ev.Reason) })
			_ = c.Connect()
			select {
			case err := <-errs:
				t.Logf("%s: %v", name, err)
				if !strings.Contains(err.Error(), fmt.Sprint(tc.code)) && codeOf(err) != tc.code {
					t.Errorf("got %v, want code %d", err, tc.code)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("no error; state %s", c.State())
			}
		})
	}
}

// call sends a request to the events service as a user.
func (e *env) call(method, path, token string, body any) integration.Response {
	e.t.Helper()
	return integration.NewClient(e.events.URL).Do(e.t, method, path, token, body)
}

func TestDomainEventsReachTheirChannels(t *testing.T) {
	e := newEnv(t)
	_, base := e.replica()
	_, orgToken := e.user("organizer")
	me, myToken := e.user("attendee")

	feed := connect(t, base, "")
	for _, ch := range []string{"feed", "feed:berlin"} {
		if err := feed.subscribe(ch); err != nil {
			t.Fatal(err)
		}
	}
	r := e.call("POST", "/api/v1/events", orgToken, map[string]any{
		"title": "Go Meetup", "description": "Talks about Go", "category": "technology",
		"date": time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339), "timezone": "Europe/Berlin",
		"location": map[string]any{"name": "Hall", "address": "1 Main St", "city": "Berlin", "country": "DE", "lat": 52.52, "lng": 13.405},
		"capacity": 2, "price": 0, "currency": "EUR",
	})
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Raw)
	}
	ev := integration.Data[struct {
		ID int64 `json:"id"`
	}](t, r)
	viewer := connect(t, base, myToken)
	for _, ch := range []string{eventChannel(ev.ID), userChannel(me)} {
		if err := viewer.subscribe(ch); err != nil {
			t.Fatal(err)
		}
	}
	if r := e.call("POST", fmt.Sprintf("/api/v1/events/%d/publish", ev.ID), orgToken, nil); r.Status != http.StatusOK {
		t.Fatalf("publish: %d %s", r.Status, r.Raw)
	}
	for _, ch := range []string{"feed", "feed:berlin"} {
		if p := feed.wait(ch, 1); p[0].Type != "event.published" {
			t.Errorf("%s: %+v", ch, p)
		}
	}

	// Two registrations fill the event; a third waits; the first cancels and the third is
	// promoted: the seat counter follows, and each user's channel tells them.
	if r := e.call("POST", fmt.Sprintf("/api/v1/events/%d/registrations", ev.ID), myToken, nil); r.Status/100 != 2 {
		t.Fatalf("register: %d %s", r.Status, r.Raw)
	}
	seats := func(n int) Seats {
		t.Helper()
		var pubs []Publication
		for _, p := range viewer.wait(eventChannel(ev.ID), n) {
			if p.Type == "event.seats" {
				pubs = append(pubs, p)
			}
		}
		var s Seats
		if err := json.Unmarshal(pubs[len(pubs)-1].Data, &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if s := seats(2); s.Registered != 1 || s.SeatsLeft == nil || *s.SeatsLeft != 1 {
		t.Errorf("after one registration: %+v", s)
	}
	if p := viewer.wait(userChannel(me), 1); p[0].Type != "registration.confirmed" {
		t.Errorf("my channel: %+v", p)
	}
	second, secondToken := e.user("attendee")
	third, thirdToken := e.user("attendee")
	_ = second
	waiting := connect(t, base, thirdToken)
	if err := waiting.subscribe(userChannel(third)); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{secondToken, thirdToken} {
		if r := e.call("POST", fmt.Sprintf("/api/v1/events/%d/registrations", ev.ID), tok, nil); r.Status/100 != 2 {
			t.Fatalf("register: %d %s", r.Status, r.Raw)
		}
	}
	if p := waiting.wait(userChannel(third), 1); p[0].Type != "registration.waitlisted" {
		t.Errorf("third user's channel: %+v", p)
	}
	if r := e.call("DELETE", fmt.Sprintf("/api/v1/events/%d/registrations/me", ev.ID), myToken, nil); r.Status/100 != 2 {
		t.Fatalf("cancel: %d %s", r.Status, r.Raw)
	}
	if p := waiting.wait(userChannel(third), 2); p[1].Type != "registration.promoted" {
		t.Errorf("third user's channel after the cancellation: %+v", p)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := seats(1)
		if s.Registered == 2 && s.Waitlisted == 0 && *s.SeatsLeft == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("seats after the promotion: %+v", s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestModerationReachesTheFeedsAndTheOrganizer: a held publication reaches no public
// channel; its approval reaches the feeds (without who decided or why) and the organizer;
// a hold and a rejection reach the organizer only.
func TestModerationReachesTheFeedsAndTheOrganizer(t *testing.T) {
	e := newEnv(t, func(o *events.Options) { o.TrustAfter = 2 })
	_, base := e.replica()
	org, orgToken := e.user("organizer")
	admin, _ := e.user("admin")
	feed := connect(t, base, "")
	for _, ch := range []string{"feed", "feed:berlin"} {
		if err := feed.subscribe(ch); err != nil {
			t.Fatal(err)
		}
	}
	mine := connect(t, base, orgToken)
	if err := mine.subscribe(userChannel(org)); err != nil {
		t.Fatal(err)
	}
	// publish creates and publishes an event, held: the organizer is new.
	publish := func(title string) int64 {
		t.Helper()
		r := e.call("POST", "/api/v1/events", orgToken, map[string]any{
			"title": title, "category": "music", "date": time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339),
			"location": map[string]any{"name": "Hall", "city": "Berlin", "country": "DE"},
		})
		id := integration.Data[struct {
			ID int64 `json:"id"`
		}](t, r).ID
		r = e.call("POST", fmt.Sprintf("/api/v1/events/%d/publish", id), orgToken, nil)
		if r.Status != http.StatusOK || !strings.Contains(string(r.Raw), `"moderation":"held"`) {
			t.Fatalf("publish: %d %s, want held", r.Status, r.Raw)
		}
		return id
	}
	// decide writes a decision as the curation service does: the state and its domain event
	// in one transaction.
	decide := func(id int64, decision string) {
		t.Helper()
		ctx := context.Background()
		tx, err := e.db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		if _, err := tx.Exec(ctx, `UPDATE events SET moderation = $2, moderated_by = $3, moderated_at = now() WHERE id = $1`, id, decision, admin); err != nil {
			t.Fatal(err)
		}
		if err := natsbus.Enqueue(ctx, tx, "platform.moderation."+decision, map[string]any{
			"version": 1, "event_id": id, "organizer_id": org, "title": "Jazz", "category": "music", "city": "Berlin",
			"visibility": "public", "starts_at": time.Now().Add(72 * time.Hour).UTC(), "decision": decision,
			"reason": "checked by hand", "reasons": []string{"new organizer"}, "spam_score": 0.1, "actor_id": admin, "occurred_at": time.Now().UTC(),
		}); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}

	held := publish("Jazz")
	decide(held, "held") // the checks' own hold, with what they found
	decide(held, "approved")
	// One event's domain events are handled in order: had the held publication reached the
	// feeds, it would be there before the approval.
	for _, ch := range []string{"feed", "feed:berlin"} {
		p := feed.wait(ch, 1)
		if p[0].Type != "moderation.approved" {
			t.Errorf("%s: first %s, want moderation.approved (the held publication reaches no feed)", ch, p[0].Type)
		}
		if d := string(p[0].Data); !strings.Contains(d, fmt.Sprintf(`"event_id":%d`, held)) || strings.Contains(d, "actor_id") || strings.Contains(d, "spam_score") {
			t.Errorf("%s: data %s, want the event without who decided or the score", ch, d)
		}
	}
	if got := mine.wait(userChannel(org), 2); got[0].Type != "moderation.held" || got[1].Type != "moderation.approved" ||
		!strings.Contains(string(got[1].Data), `"actor_id"`) {
		t.Errorf("the organizer's channel: %+v, want moderation.held then moderation.approved, in full", got)
	}

	rejected := publish("Spam")
	decide(rejected, "rejected")
	if got := mine.wait(userChannel(org), 3); got[2].Type != "moderation.rejected" || !strings.Contains(string(got[2].Data), "checked by hand") {
		t.Errorf("the organizer's channel: %+v, want moderation.rejected with the reason", got[2])
	}
	// The rejected event's publication was handled before its rejection.
	time.Sleep(200 * time.Millisecond)
	for _, ch := range []string{"feed", "feed:berlin"} {
		if p := feed.wait(ch, 1); len(p) != 1 {
			t.Errorf("%s: %d publications, want the approval alone: %+v", ch, len(p), p)
		}
	}
}

func TestTwoReplicasShareFanOutAndPresence(t *testing.T) {
	e := newEnv(t)
	one, base1 := e.replica()
	_, base2 := e.replica()
	_, tok1 := e.user("attendee")
	_, tok2 := e.user("attendee")
	a, b := connect(t, base1, tok1), connect(t, base2, tok2)
	anon := connect(t, base2, "")
	for _, c := range []*client{a, b, anon} {
		if err := c.subscribe("event:42"); err != nil {
			t.Fatal(err)
		}
	}
	if err := one.publish("event:42", []byte(`{"type":"test","data":{}}`), "k1"); err != nil {
		t.Fatal(err)
	}
	a.wait("event:42", 1)
	b.wait("event:42", 1)
	// The same key again (a redelivery): dropped.
	if err := one.publish("event:42", []byte(`{"type":"test","data":{}}`), "k1"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(b.wait("event:42", 1)); n != 1 {
		t.Errorf("a publication with a repeated key was delivered again: %d", n)
	}
	// A domain event goes through the one consumer the replicas share: each client gets it
	// once, whichever replica it is on.
	if _, err := e.bus.JS.Publish(context.Background(), "platform.event.published",
		[]byte(`{"version":1,"event_id":42,"visibility":"public","title":"Shared"}`)); err != nil {
		t.Fatal(err)
	}
	a.wait("event:42", 2)
	b.wait("event:42", 2)
	time.Sleep(300 * time.Millisecond)
	for name, c := range map[string]*client{"first replica's": a, "second replica's": b} {
		if got := c.wait("event:42", 2); len(got) != 2 || got[1].Type != "event.published" {
			t.Errorf("%s client: %d publications (%+v), want the domain event once", name, len(got), got[len(got)-1].Type)
		}
	}
	r := integration.Do(t, "GET", base2+"/api/v1/realtime/events/42/presence", "", nil)
	p := integration.Data[Presence](t, r)
	if r.Status != http.StatusOK || p.Connections != 3 || p.Users != 2 {
		t.Errorf("presence: %d %+v, want 3 connections of 2 users", r.Status, p)
	}
	if r := integration.Do(t, "GET", base2+"/api/v1/realtime/events/x/presence", "", nil); r.Status != http.StatusUnprocessableEntity && r.Status != http.StatusBadRequest {
		t.Errorf("presence of a bad id: %d", r.Status)
	}
}

func TestRecoveryAfterAReconnect(t *testing.T) {
	e := newEnv(t)
	svc, base := e.replica()
	cl := connect(t, base, "")
	if err := cl.subscribe("event:7"); err != nil {
		t.Fatal(err)
	}
	if err := svc.publish("event:7", []byte(`{"type":"n","data":0}`), "a0"); err != nil {
		t.Fatal(err)
	}
	cl.wait("event:7", 1)
	if err := cl.c.Disconnect(); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if err := svc.publish("event:7", []byte(fmt.Sprintf(`{"type":"n","data":%d}`, i)), fmt.Sprint("a", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := cl.c.Connect(); err != nil {
		t.Fatal(err)
	}
	got := cl.wait("event:7", 4)
	time.Sleep(200 * time.Millisecond)
	got = cl.wait("event:7", 4)
	var seq []string
	for _, p := range got {
		seq = append(seq, string(p.Data))
	}
	if strings.Join(seq, ",") != "0,1,2,3" {
		t.Errorf("after reconnecting: %v, want 0,1,2,3", seq)
	}
}

func TestAnExpiringTokenIsRefreshedOrTheConnectionCloses(t *testing.T) {
	e := newEnv(t)
	_, base := e.replica(func(o *Options) { o.RefreshGrace = time.Second })
	id, _ := e.user("attendee")
	ws := "ws" + strings.TrimPrefix(base, "http") + "/ws"

	// A client that never sends a fresh token is closed as expired.
	stale := dialRaw(t, base)
	stale.send(`{"id":1,"connect":{"token":"` + e.token(id, "attendee", 2*time.Second) + `"}}`)
	if reply := stale.read(); !strings.Contains(reply, `"expires":true`) {
		t.Fatalf("connect reply %s: the connection should expire", reply)
	}
	if code, reason := stale.closed(10 * time.Second); code != 3005 {
		t.Errorf("closed with %d %q, want 3005 (expired)", code, reason)
	}

	// One that does stays.
	fresh := gocent.NewJsonClient(ws, gocent.Config{Token: e.token(id, "attendee", 2*time.Second),
		GetToken: func(gocent.ConnectionTokenEvent) (string, error) { return e.token(id, "attendee", 15*time.Minute), nil }})
	defer fresh.Close()
	if err := fresh.Connect(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(4 * time.Second)
	if st := fresh.State(); st != gocent.StateConnected {
		t.Errorf("the connection that sent a fresh token is %s, want connected", st)
	}
}

// raw is a websocket speaking the JSON protocol by hand: to send what a library client
// would not.
type raw struct {
	t    *testing.T
	conn *websocket.Conn
}

func dialRaw(t *testing.T, base string) *raw {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadLimit(64 << 20)
	t.Cleanup(func() { _ = conn.CloseNow() })
	return &raw{t: t, conn: conn}
}

func (r *raw) send(msg string) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.conn.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		r.t.Fatal(err)
	}
}

func (r *raw) read() string {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, b, err := r.conn.Read(ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	return string(b)
}

// closed reads until the server closes the connection and returns its close code and
// reason, or fails after within.
func (r *raw) closed(within time.Duration) (int, string) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for {
		if _, _, err := r.conn.Read(ctx); err != nil {
			var ce websocket.CloseError
			if errors.As(err, &ce) {
				return int(ce.Code), ce.Reason
			}
			r.t.Fatalf("not closed by the server: %v", err)
		}
	}
}

func TestASlowClientIsDroppedWithoutDelayingOthers(t *testing.T) {
	e := newEnv(t)
	svc, base := e.replica(func(o *Options) { o.ClientQueueMaxSize = 256 << 10 })
	slow := dialRaw(t, base)
	slow.send(`{"id":1,"connect":{}}`)
	slow.read()
	slow.send(`{"id":2,"subscribe":{"channel":"event:9"}}`)
	slow.read()
	fast := connect(t, base, "")
	if err := fast.subscribe("event:9"); err != nil {
		t.Fatal(err)
	}
	// The slow client reads nothing from here on.
	big := `{"type":"pad","data":"` + strings.Repeat("x", 16<<10) + `"}`
	const n = 400
	start := time.Now()
	for i := range n { // 16 MB/s: a client that reads keeps up
		if err := svc.publish("event:9", []byte(big), fmt.Sprint("p", i)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	fast.wait("event:9", n)
	t.Logf("%d publications of 16 KiB reached the reading client in %s", n, time.Since(start).Round(time.Millisecond))
	if code, reason := slow.closed(10 * time.Second); code != 3008 {
		t.Errorf("the slow client was closed with %d %q, want 3008 (slow)", code, reason)
	}
}

func TestBadFramesAreProtocolErrors(t *testing.T) {
	e := newEnv(t)
	_, base := e.replica()
	for name, frame := range map[string]string{
		"not json":               "not json",
		"unknown command":        `{"id":1,"launch":{"missiles":true}}`,
		"command before connect": `{"id":1,"subscribe":{"channel":"feed"}}`,
		"wrong types":            `{"id":"x","connect":{"token":7}}`,
		"oversized":              `{"id":1,"connect":{"token":"` + strings.Repeat("a", maxMessageBytes) + `"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			c := dialRaw(t, base)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := c.conn.Write(ctx, websocket.MessageText, []byte(frame)); err != nil {
				if name != "oversized" {
					t.Fatal(err)
				}
				return // the server closed the connection while the frame was still coming
			}
			code, reason := c.closed(20 * time.Second)
			if code < 1000 || code == 1011 || code == 3000 {
				t.Errorf("closed with %d %q, want a protocol error", code, reason)
			}
			t.Logf("%s: %d %s", name, code, reason)
		})
	}
	// The replica still serves.
	if err := connect(t, base, "").subscribe("feed"); err != nil {
		t.Errorf("after bad frames: %v", err)
	}
}

func TestShutdownTellsClientsToReconnect(t *testing.T) {
	e := newEnv(t)
	svc, err := New(Options{Log: quiet(), DB: e.db, Bus: e.bus, RedisURL: e.redis, RedisPrefix: e.prefix, Verifier: e.verifier(),
		Consumer: strings.NewReplacer(":", "-", ".", "-").Replace(e.prefix)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	srv := httptest.NewServer(svc.Handler())
	defer srv.Close()
	c := dialRaw(t, srv.URL)
	c.send(`{"id":1,"connect":{}}`)
	c.read()
	cancel()
	if code, reason := c.closed(10 * time.Second); code != 3001 {
		t.Errorf("closed with %d %q, want 3001 (shutdown: reconnect elsewhere)", code, reason)
	}
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
}

func TestAGapTooOldToRecoverIsSaid(t *testing.T) {
	e := newEnv(t)
	svc, base := e.replica(func(o *Options) { o.HistorySize = 3 })
	ws := "ws" + strings.TrimPrefix(base, "http") + "/ws"
	c := gocent.NewJsonClient(ws, gocent.Config{MinReconnectDelay: 50 * time.Millisecond, MaxReconnectDelay: 200 * time.Millisecond})
	defer c.Close()
	sub, err := c.NewSubscription("event:8", gocent.SubscriptionConfig{Recoverable: true, Positioned: true})
	if err != nil {
		t.Fatal(err)
	}
	subscribed := make(chan gocent.SubscribedEvent, 4)
	sub.OnSubscribed(func(ev gocent.SubscribedEvent) { subscribed <- ev })
	if err := c.Connect(); err != nil {
		t.Fatal(err)
	}
	if err := sub.Subscribe(); err != nil {
		t.Fatal(err)
	}
	<-subscribed
	if err := svc.publish("event:8", []byte(`{"type":"n","data":0}`), "g0"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if err := c.Disconnect(); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ { // more than the history keeps
		if err := svc.publish("event:8", []byte(fmt.Sprintf(`{"type":"n","data":%d}`, i)), fmt.Sprint("g", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Connect(); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-subscribed:
		if !ev.WasRecovering || ev.Recovered {
			t.Errorf("resubscribed: was recovering %v, recovered %v; want told the gap cannot be recovered", ev.WasRecovering, ev.Recovered)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("not subscribed again")
	}
}
