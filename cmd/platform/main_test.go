package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	gocent "github.com/centrifugal/centrifuge-go"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/migrations"
	"github.com/events-platform/events-platform/test/integration"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func testEnv(t *testing.T, databaseURL string) map[string]string {
	t.Helper()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	pemBytes, _ := auth.EncodePrivateKey(key)
	keyFile := filepath.Join(t.TempDir(), "signing-key.pem")
	if err := os.WriteFile(keyFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"DATABASE_URL":         databaseURL,
		"REDIS_URL":            integration.RedisURL(t),
		"NATS_URL":             integration.NATSURL(t),
		"HTTP_ADDR":            freeAddr(t),
		"JWT_PRIVATE_KEY_FILE": keyFile,
		"LOG_LEVEL":            "warn",
		"SHUTDOWN_TIMEOUT":     "5s",
	}
}

func getenvFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func runCmd(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	var out integration.Buffer
	err := run(context.Background(), args, getenvFrom(env), &out, io.Discard)
	return out.String(), err
}

// startServe runs `platform serve` until the test ends and waits until it is ready.
func startServe(t *testing.T, env map[string]string, args ...string) (base string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs integration.Buffer
	go func() { done <- run(ctx, append([]string{"serve"}, args...), getenvFrom(env), io.Discard, &logs) }()
	base = "http://" + env["HTTP_ADDR"]
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("serve exited before ready: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve not ready after 30s\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(20 * time.Second):
			return fmt.Errorf("serve did not stop")
		}
	}
	t.Cleanup(func() { _ = stop() })
	return base, stop
}

func call(t *testing.T, method, url, token string, body any, hdr ...string) integration.Response {
	t.Helper()
	return integration.Do(t, method, url, token, body, hdr...)
}

func TestServeAllRegisterLoginMeThroughTheGateway(t *testing.T) {
	env := testEnv(t, integration.EmptyDatabaseURL(t))
	if out, err := runCmd(t, env, "migrate", "up"); err != nil || !strings.Contains(out, "up to date") {
		t.Fatalf("migrate up: %v\n%s", err, out)
	}
	if out, err := runCmd(t, env, "seed", "--users", "3", "--events", "5"); err != nil || !strings.Contains(out, "seeded 8 users and 5 events") {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	if out, err := runCmd(t, env, "seed", "--users", "3", "--events", "5"); err != nil || !strings.Contains(out, "seeded 0 users and 0 events") {
		t.Fatalf("seed again must add nothing: %v\n%s", err, out)
	}
	base, stop := startServe(t, env, "--target=all")

	var health map[string]string
	res, err := http.Get(base + "/health")
	if err != nil {
		t.Fatal(err)
	}
	_ = json.NewDecoder(res.Body).Decode(&health)
	res.Body.Close()
	if health["status"] != "healthy" {
		t.Fatalf("health: got %v", health)
	}

	// Watch for the registration's domain event, relayed to JetStream by the outbox.
	nc, err := nats.Connect(env["NATS_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The ordered consumer is created at the first fetch, after the registration: start
	// from a time, not from "new".
	since := time.Now().Add(-time.Second)
	cons, err := js.OrderedConsumer(ctx, "PLATFORM", jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{"platform.user.registered"}, DeliverPolicy: jetstream.DeliverByStartTimePolicy, OptStartTime: &since})
	if err != nil {
		t.Fatal(err)
	}
	email := fmt.Sprintf("e2e-%d@example.com", time.Now().UnixNano())
	reg := call(t, "POST", base+"/api/v1/auth/register", "", map[string]string{"email": email, "password": "password123", "name": "E2E"}, "X-Request-ID", "e2e-req-1")
	if reg.Status != http.StatusCreated || reg.Header.Get("X-Request-ID") != "e2e-req-1" {
		t.Fatalf("register: got %d %s (request id %q)", reg.Status, reg.Data, reg.Header.Get("X-Request-ID"))
	}
	var regData struct {
		User struct{ ID int64 } `json:"user"`
	}
	_ = json.Unmarshal(reg.Data, &regData)

	login := call(t, "POST", base+"/api/v1/auth/login", "", map[string]string{"email": email, "password": "password123"})
	var sess struct {
		Token string `json:"token"`
	}
	_ = json.Unmarshal(login.Data, &sess)
	if login.Status != http.StatusOK || sess.Token == "" {
		t.Fatalf("login: got %d %s", login.Status, login.Data)
	}
	me := call(t, "GET", base+"/api/v1/users/me", sess.Token, nil)
	if me.Status != http.StatusOK || !strings.Contains(string(me.Data), email) {
		t.Fatalf("me: got %d %s", me.Status, me.Data)
	}
	if r := call(t, "GET", base+"/api/v1/users/me", sess.Token+"x", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("tampered token: got %d", r.Status)
	}
	eventID := checkRealtime(t, base, sess.Token, regData.User.ID)
	checkAnalytics(t, base, sess.Token, eventID)
	// The demo accounts of the seed log in with the seed design's password.
	if r := call(t, "POST", base+"/api/v1/auth/login", "", map[string]string{"email": "alice@example.com", "password": "password123"}); r.Status != http.StatusOK {
		t.Fatalf("demo login: got %d %+v", r.Status, r.Error)
	}
	// Recommendations answer through the gateway (popular ones before any retraining).
	if r := call(t, "GET", base+"/api/v1/recommendations/events?limit=5", sess.Token, nil); r.Status != http.StatusOK || !strings.Contains(string(r.Data), `"recommendations"`) {
		t.Fatalf("recommendations: got %d %s", r.Status, r.Data)
	}
	login = call(t, "POST", base+"/api/v1/auth/login", "", map[string]string{"email": "admin@example.com", "password": "password123"})
	var admin struct {
		Token string `json:"token"`
	}
	_ = json.Unmarshal(login.Data, &admin)
	checkModeration(t, base, admin.Token)
	res, err = http.Get(base + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(doc), "/api/v1/auth/register") {
		t.Fatalf("openapi: got %d %.200s", res.StatusCode, doc)
	}
	var openapi struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(doc, &openapi); err != nil {
		t.Fatalf("openapi: %v", err)
	}
	seen := map[string]string{}
	for path, ops := range openapi.Paths {
		for method, op := range ops {
			if prev, dup := seen[op.OperationID]; dup && op.OperationID != "" {
				t.Errorf("operationId %q is used by %s and %s %s", op.OperationID, prev, method, path)
			}
			seen[op.OperationID] = method + " " + path
		}
	}
	res, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(metrics), `route="POST /api/v1/auth/login"`) {
		t.Errorf("metrics lack the login route label:\n%.2000s", metrics)
	}
	if !strings.Contains(string(metrics), "centrifuge_client_connections_accepted") || !strings.Contains(string(metrics), "realtime_consumer_pending") {
		t.Errorf("metrics lack the realtime service's connections or its consumer's lag")
	}
	for _, m := range []string{"analytics_interactions_accepted_total 1", "analytics_partitions 16", "analytics_consumer_pending", "analytics_flush_seconds_bucket"} {
		if !strings.Contains(string(metrics), m) {
			t.Errorf("metrics lack %q", m)
		}
	}

	// The registration's domain event reached JetStream through the outbox relay.
	for found := false; !found; {
		msg, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			t.Fatalf("no platform.user.registered for user %d on JetStream: %v", regData.User.ID, err)
		}
		var payload struct {
			Version int   `json:"version"`
			UserID  int64 `json:"user_id"`
		}
		_ = json.Unmarshal(msg.Data(), &payload)
		found = payload.UserID == regData.User.ID && payload.Version == 1 && msg.Headers().Get("Nats-Msg-Id") != ""
	}

	if err := stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	if _, err := http.Get(base + "/health"); err == nil {
		t.Fatalf("server still answers after stop")
	}
}

func TestServeRefusesAnOlderSchema(t *testing.T) {
	env := testEnv(t, integration.EmptyDatabaseURL(t))
	_, err := runCmd(t, env, "serve", "--target=users")
	if err == nil || !strings.Contains(err.Error(), "platform migrate up") {
		t.Fatalf("serve on an empty database: got %v, want a schema error telling to migrate", err)
	}
}

func TestServeNamesMissingConfiguration(t *testing.T) {
	env := testEnv(t, "")
	delete(env, "DATABASE_URL")
	_, err := runCmd(t, env, "serve", "--target=users")
	if err == nil || !strings.Contains(err.Error(), `DATABASE_URL is required by target "users"`) {
		t.Fatalf("got %v", err)
	}
	if _, err := runCmd(t, env, "serve", "--target=nope"); err == nil || !strings.Contains(err.Error(), "unknown target") {
		t.Fatalf("unknown target: got %v", err)
	}
	env["HTTP_ADDR"] = "not an address"
	if _, err := runCmd(t, env, "serve", "--target=users"); err == nil {
		t.Fatalf("bad HTTP_ADDR: want an error")
	}
}

func TestMigrateDownAndStatus(t *testing.T) {
	env := testEnv(t, integration.EmptyDatabaseURL(t))
	if out, err := runCmd(t, env, "migrate", "status"); err != nil || !strings.Contains(out, "schema version 0 of") {
		t.Fatalf("status before: %v %s", err, out)
	}
	if _, err := runCmd(t, env, "migrate", "up"); err != nil {
		t.Fatal(err)
	}
	if out, err := runCmd(t, env, "migrate", "down", "all"); err != nil || !strings.Contains(out, "schema version 0 of") {
		t.Fatalf("down all: %v %s", err, out)
	}
	if _, err := runCmd(t, env, "migrate", "up"); err != nil {
		t.Fatalf("up after down: %v", err)
	}
	if _, err := runCmd(t, env, "migrate", "down", "zero"); err == nil {
		t.Fatalf("bad steps: want an error")
	}

	// A migration that failed part way leaves the schema dirty: services refuse to start
	// and status says how to recover.
	latest := strconv.Itoa(int(migrations.Latest()))
	db, err := pgx.Connect(context.Background(), env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	if _, err := db.Exec(context.Background(), `UPDATE schema_migrations SET dirty = true`); err != nil {
		t.Fatal(err)
	}
	if out, _ := runCmd(t, env, "migrate", "status"); !strings.Contains(out, "DIRTY") || !strings.Contains(out, "migrate force") {
		t.Fatalf("status of a dirty schema: %q", out)
	}
	if _, err := runCmd(t, env, "serve", "--target=users"); err == nil || !strings.Contains(err.Error(), "dirty") {
		t.Fatalf("serve on a dirty schema: got %v", err)
	}
	if out, err := runCmd(t, env, "migrate", "force", latest); err != nil || !strings.Contains(out, "up to date") {
		t.Fatalf("force: %v %q", err, out)
	}
	if _, err := runCmd(t, env, "migrate", "force", "999"); err == nil {
		t.Fatalf("force to an unknown version: want an error")
	}
}

func TestSplitModeUsersService(t *testing.T) {
	dbURL := integration.DatabaseURL(t)
	env := testEnv(t, dbURL)
	usersBase, _ := startServe(t, env, "--target=users")

	// A gateway in its own process, proxying to the users process; it verifies tokens with
	// the public key alone.
	gwEnv := testEnv(t, dbURL)
	key, err := auth.LoadPrivateKey(env["JWT_PRIVATE_KEY_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := auth.EncodePublicKey(key.Public().(ed25519.PublicKey))
	pubFile := filepath.Join(t.TempDir(), "public.pem")
	_ = os.WriteFile(pubFile, pub, 0o644)
	delete(gwEnv, "JWT_PRIVATE_KEY_FILE")
	delete(gwEnv, "DATABASE_URL")
	gwEnv["JWT_PUBLIC_KEYS_FILE"] = pubFile
	gwEnv["USERS_URL"] = usersBase
	gwBase, _ := startServe(t, gwEnv, "--target=gateway")

	email := fmt.Sprintf("split-%d@example.com", time.Now().UnixNano())
	reg := call(t, "POST", gwBase+"/api/v1/auth/register", "", map[string]string{"email": email, "password": "password123", "name": "Split"})
	var sess struct {
		Token string `json:"token"`
	}
	_ = json.Unmarshal(reg.Data, &sess)
	if reg.Status != http.StatusCreated {
		t.Fatalf("register via split gateway: got %d %+v", reg.Status, reg.Error)
	}
	if r := call(t, "GET", gwBase+"/api/v1/users/me", sess.Token, nil); r.Status != http.StatusOK {
		t.Fatalf("me via split gateway: got %d %+v", r.Status, r.Error)
	}
	// The users service itself also refuses a forged identity header without a token.
	if r := call(t, "GET", usersBase+"/api/v1/users/me", "", nil, "X-User-ID", "1"); r.Status != http.StatusUnauthorized {
		t.Fatalf("users service trusted X-User-ID: got %d", r.Status)
	}
}

func TestUsersCreateAdmin(t *testing.T) {
	env := testEnv(t, integration.DatabaseURL(t))
	out, err := runCmd(t, env, "users", "create-admin", "--email", "Boss@Example.com")
	if err != nil || !strings.Contains(out, "created administrator") || !strings.Contains(out, "with password ") {
		t.Fatalf("create with a generated password: %v %q", err, out)
	}
	password := strings.TrimSpace(out[strings.LastIndex(out, "with password ")+len("with password "):])
	out, err = runCmd(t, env, "users", "create-admin", "--email", "boss@example.com", "--password", "ignored123")
	if err != nil || !strings.Contains(out, "is now an administrator; password unchanged") {
		t.Fatalf("second run must keep the account: %v %q", err, out)
	}
	base, _ := startServe(t, env, "--target=all")
	login := call(t, "POST", base+"/api/v1/auth/login", "", map[string]string{"email": "boss@example.com", "password": password})
	if login.Status != http.StatusOK || !strings.Contains(string(login.Data), `"role":"admin"`) {
		t.Fatalf("admin login with the printed password: %d %s", login.Status, login.Data)
	}
	if _, err := runCmd(t, env, "users", "create-admin"); err == nil {
		t.Fatalf("--email is required")
	}
	if _, err := runCmd(t, env, "users", "create-admin", "--email", "x@example.com", "--password", "short"); err == nil {
		t.Fatalf("a short password must be refused")
	}
	if out, err := runCmd(t, env, "version"); err != nil || strings.TrimSpace(out) == "" {
		t.Fatalf("version: %v %q", err, out)
	}
}

func TestSeveralServicesWithoutTheGateway(t *testing.T) {
	env := testEnv(t, integration.DatabaseURL(t))
	base, _ := startServe(t, env, "--target=users,events")
	reg := call(t, "POST", base+"/api/v1/auth/register", "", map[string]string{"email": "both@example.com", "password": "password123", "name": "Both"})
	if reg.Status != http.StatusCreated {
		t.Fatalf("users in a two-service process: got %d %+v", reg.Status, reg.Error)
	}
	if r := call(t, "GET", base+"/api/v1/events?limit=5", "", nil); r.Status != http.StatusOK {
		t.Fatalf("events in a two-service process: got %d %+v", r.Status, r.Error)
	}
	if r := call(t, "GET", base+"/api/v1/search/events?q=x", "", nil); r.Status != http.StatusNotFound {
		t.Fatalf("a service this process does not run: got %d, want 404", r.Status)
	}
}

// checkRealtime: a websocket through the gateway, authenticated by the header, joins the
// user's own channel (not another's), and a registration made through the API reaches it.
func checkRealtime(t *testing.T, base, token string, user int64) (eventID int64) {
	t.Helper()
	c := gocent.NewJsonClient("ws"+strings.TrimPrefix(base, "http")+"/ws",
		gocent.Config{Header: http.Header{"Authorization": {"Bearer " + token}}})
	defer c.Close()
	got := make(chan string, 10)
	joined := func(ch string, onPub func([]byte)) error {
		sub, err := c.NewSubscription(ch)
		if err != nil {
			return err
		}
		res := make(chan error, 2)
		sub.OnSubscribed(func(gocent.SubscribedEvent) { res <- nil })
		sub.OnError(func(e gocent.SubscriptionErrorEvent) { res <- e.Error })
		if onPub != nil {
			sub.OnPublication(func(e gocent.PublicationEvent) { onPub(e.Data) })
		}
		if err := sub.Subscribe(); err != nil {
			return err
		}
		select {
		case err := <-res:
			return err
		case <-time.After(10 * time.Second):
			return fmt.Errorf("subscribe %s: no answer", ch)
		}
	}
	if err := c.Connect(); err != nil {
		t.Fatal(err)
	}
	if err := joined(fmt.Sprintf("user:%d", user), func(b []byte) { got <- string(b) }); err != nil {
		t.Fatalf("websocket, own channel: %v", err)
	}
	if err := joined(fmt.Sprintf("user:%d", user+1000), nil); err == nil {
		t.Fatalf("websocket: joined another user's channel")
	}
	list := call(t, "GET", base+"/api/v1/events?limit=1&sort=date", "", nil)
	var evs []struct {
		ID int64 `json:"id"`
	}
	_ = json.Unmarshal(list.Data, &evs)
	if len(evs) == 0 {
		t.Fatalf("no published event to register for: %d %s", list.Status, list.Data)
	}
	if r := call(t, "POST", fmt.Sprintf("%s/api/v1/events/%d/registrations", base, evs[0].ID), token, nil); r.Status/100 != 2 {
		t.Fatalf("register for event %d: %d %s", evs[0].ID, r.Status, r.Data)
	}
	select {
	case p := <-got:
		if !strings.Contains(p, `"type":"registration.`) {
			t.Errorf("websocket publication: %s", p)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("the registration did not reach the user's channel")
	}
	return evs[0].ID
}

// checkAnalytics: a batch through the gateway is stored (202); the event's stats are its
// organizer's or an admin's, and count the view and, from the domain event, the
// registration checkRealtime made.
func checkAnalytics(t *testing.T, base, token string, eventID int64) {
	t.Helper()
	batch := map[string]any{"interactions": []map[string]any{
		{"id": "e2e-1", "type": "view", "event_id": eventID, "occurred_at": time.Now().UTC().Format(time.RFC3339)},
	}}
	if r := call(t, "POST", base+"/api/v1/analytics/interactions", token, batch); r.Status != http.StatusAccepted {
		t.Fatalf("analytics batch: %d %s", r.Status, r.Raw)
	}
	stats := fmt.Sprintf("%s/api/v1/analytics/events/%d/stats", base, eventID)
	if r := call(t, "GET", stats, token, nil); r.Status != http.StatusForbidden {
		t.Fatalf("an attendee's stats of someone's event: %d, want 403", r.Status)
	}
	login := call(t, "POST", base+"/api/v1/auth/login", "", map[string]string{"email": "admin@example.com", "password": "password123"})
	var admin struct {
		Token string `json:"token"`
	}
	_ = json.Unmarshal(login.Data, &admin)
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := call(t, "GET", stats, admin.Token, nil)
		var st struct {
			Totals struct {
				Views, Registrations int64
			} `json:"totals"`
		}
		_ = json.Unmarshal(r.Data, &st)
		if r.Status == http.StatusOK && st.Totals.Views >= 1 && st.Totals.Registrations >= 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("event %d's stats never showed the view and the registration: %d %s", eventID, r.Status, r.Raw)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
