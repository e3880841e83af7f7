package users_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/redis"
	"github.com/events-platform/events-platform/services/users"
	"github.com/events-platform/events-platform/test/integration"
	"github.com/jackc/pgx/v5/pgxpool"
	goredis "github.com/redis/go-redis/v9"
)

type env struct {
	t       testing.TB
	handler http.Handler
	srv     *httptest.Server
	db      *pgxpool.Pool
	signer  *auth.Signer
}

func newEnv(t testing.TB, limits users.LoginLimits) *env {
	t.Helper()
	rdb, err := redis.Open(context.Background(), integration.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	return newEnvWithRedis(t, limits, rdb)
}

// newEnvWithRedis is newEnv with a Redis client of the test's choosing.
func newEnvWithRedis(t testing.TB, limits users.LoginLimits, rdb *goredis.Client) *env {
	t.Helper()
	db, _ := integration.Pool(t)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	signer := auth.NewSigner(key, "events-platform", 15*time.Minute)
	svc := users.New(users.Options{
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: db, Redis: rdb, Signer: signer,
		Verifier: auth.NewVerifier("events-platform", signer.PublicKey()), RefreshTokenTTL: time.Hour,
		Version: "test", LoginLimits: limits, KeyPrefix: integration.KeyPrefix(t),
	})
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(srv.Close)
	return &env{t: t, handler: svc.Handler(), srv: srv, db: db, signer: signer}
}

type response = integration.Response

func (e *env) do(method, path, token string, body any, headers ...string) response {
	e.t.Helper()
	return integration.Do(e.t, method, e.srv.URL+path, token, body, headers...)
}

type session struct {
	User struct {
		ID    int64  `json:"id"`
		Email string `json:"email"`
		Role  string `json:"role"`
		Name  string `json:"name"`
	} `json:"user"`
	Token        string `json:"token"`
	RefreshToken string `json:"refresh_token"`
}

func (e *env) register(email, role string) session {
	e.t.Helper()
	body := map[string]string{"email": email, "password": "password123", "name": "Test " + email}
	if role != "" {
		body["role"] = role
	}
	r := e.do("POST", "/api/v1/auth/register", "", body)
	if r.Status != http.StatusCreated {
		e.t.Fatalf("register %s: got %d %+v", email, r.Status, r.Error)
	}
	return integration.Data[session](e.t, r)
}

func TestRegisterLoginMeFlow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, users.LoginLimits{})
	s := e.register("Alice@Example.com", "")
	if s.User.Email != "alice@example.com" || s.User.Role != "attendee" || s.Token == "" || s.RefreshToken == "" {
		t.Fatalf("register: got %+v", s)
	}
	id, err := auth.NewVerifier("events-platform", e.signer.PublicKey()).Verify(s.Token)
	if err != nil || id.UserID != s.User.ID {
		t.Fatalf("token: got %+v, %v", id, err)
	}

	r := e.do("POST", "/api/v1/auth/login", "", map[string]string{"email": "alice@example.com", "password": "password123"})
	if r.Status != http.StatusOK || !r.Success {
		t.Fatalf("login: got %d %+v", r.Status, r.Error)
	}
	login := integration.Data[session](t, r)

	r = e.do("GET", "/api/v1/users/me", login.Token, nil)
	me := integration.Data[session](t, response{Data: []byte(`{"user":` + string(r.Data) + `}`)}).User
	if r.Status != http.StatusOK || me.ID != s.User.ID || me.Email != "alice@example.com" {
		t.Fatalf("me: got %d %s", r.Status, r.Data)
	}

	r = e.do("PATCH", "/api/v1/users/me", login.Token, map[string]any{"bio": "hi", "interests": []string{"music", "tech"}})
	if r.Status != http.StatusOK || !strings.Contains(string(r.Data), `"bio":"hi"`) || !strings.Contains(string(r.Data), `"music"`) {
		t.Fatalf("update me: got %d %s", r.Status, r.Data)
	}

	r = e.do("GET", fmt.Sprintf("/api/v1/users/%d", s.User.ID), "", nil)
	if r.Status != http.StatusOK || strings.Contains(string(r.Data), "email") || !strings.Contains(string(r.Data), `"bio":"hi"`) {
		t.Fatalf("public profile must hide the email: got %d %s", r.Status, r.Data)
	}
	if r := e.do("GET", "/api/v1/users/999999", "", nil); r.Status != http.StatusNotFound || r.Error.Code != "not_found" {
		t.Fatalf("unknown user: got %d %+v", r.Status, r.Error)
	}
	if r := e.do("GET", "/api/v1/users/me", "", nil); r.Status != http.StatusUnauthorized || r.Error.Code != "unauthorized" {
		t.Fatalf("me without token: got %d %+v", r.Status, r.Error)
	}
	if r := e.do("GET", "/api/v1/users/me", login.Token+"x", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("me with a tampered token: got %d", r.Status)
	}
}

func TestRegisterValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, users.LoginLimits{})
	e.register("taken@example.com", "")
	tests := []struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}{
		{"bad email", map[string]string{"email": "not-an-email", "password": "password123", "name": "X"}, 400, "validation_failed", "email"},
		{"short password", map[string]string{"email": "a@example.com", "password": "short", "name": "X"}, 400, "validation_failed", "password"},
		{"missing name", map[string]string{"email": "b@example.com", "password": "password123"}, 400, "validation_failed", ""},
		{"admin role", map[string]string{"email": "c@example.com", "password": "password123", "name": "X", "role": "admin"}, 400, "validation_failed", "role"},
		{"password over 72 bytes", map[string]string{"email": "d@example.com", "password": strings.Repeat("é", 40), "name": "X"}, 400, "validation_failed", "password"},
		{"taken email, other case", map[string]string{"email": "TAKEN@example.com", "password": "password123", "name": "X"}, 409, "conflict", ""},
		{"malformed JSON", `{"email":`, 400, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("POST", "/api/v1/auth/register", "", tt.body)
			if r.Status != tt.status || r.Success {
				t.Fatalf("got %d %+v, want %d", r.Status, r.Error, tt.status)
			}
			if tt.code != "" && r.Error.Code != tt.code {
				t.Errorf("code: got %q, want %q", r.Error.Code, tt.code)
			}
			if r.Error.Message == "" {
				t.Errorf("want a message")
			}
			if tt.field != "" {
				found := false
				for _, d := range r.Error.Details {
					found = found || strings.Contains(d.Field, tt.field)
				}
				if !found {
					t.Errorf("details %+v do not name %q", r.Error.Details, tt.field)
				}
			}
		})
	}
	var n int
	if err := e.db.QueryRow(context.Background(), `SELECT count(*) FROM users`).Scan(&n); err != nil || n != 1 {
		t.Errorf("users after rejected registrations: got %d (%v), want 1", n, err)
	}
}

func TestLoginFailuresLookAlikeAndAreLimited(t *testing.T) {
	t.Parallel()
	e := newEnv(t, users.LoginLimits{PerClient: 3, PerIP: 5, Window: time.Minute})
	e.register("bob@example.com", "")
	wrong := e.do("POST", "/api/v1/auth/login", "", map[string]string{"email": "bob@example.com", "password": "wrongpass"})
	unknown := e.do("POST", "/api/v1/auth/login", "", map[string]string{"email": "nobody@example.com", "password": "password123"})
	if wrong.Status != 401 || unknown.Status != 401 || wrong.Error.Message != unknown.Error.Message {
		t.Fatalf("wrong password %d %q vs unknown email %d %q: want the same 401", wrong.Status, wrong.Error.Message, unknown.Status, unknown.Error.Message)
	}
	// Two more failures on bob from this client reach its limit of 3 on bob.
	for range 2 {
		e.do("POST", "/api/v1/auth/login", "", map[string]string{"email": "bob@example.com", "password": "wrongpass"})
	}
	r := e.do("POST", "/api/v1/auth/login", "", map[string]string{"email": "bob@example.com", "password": "password123"})
	if r.Status != http.StatusTooManyRequests || r.Error.Code != "rate_limited" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("after 3 failures: got %d %+v Retry-After=%q, want 429", r.Status, r.Error, r.Header.Get("Retry-After"))
	}
	// The IP has 4 failures; one more from it, on another account, reaches 5.
	e.register("carol@example.com", "")
	e.do("POST", "/api/v1/auth/login", "", map[string]string{"email": "carol@example.com", "password": "wrongpass"})
	r = e.do("POST", "/api/v1/auth/login", "", map[string]string{"email": "carol@example.com", "password": "password123"})
	if r.Status != http.StatusTooManyRequests {
		t.Fatalf("after 5 failures from one IP: got %d, want 429", r.Status)
	}
	// Another client address is not limited by that IP's failures.
	r = e.do("POST", "/api/v1/auth/login", "", map[string]string{"email": "carol@example.com", "password": "password123"}, "X-Client-IP", "203.0.113.7")
	if r.Status != http.StatusOK {
		t.Fatalf("other IP: got %d %+v, want 200", r.Status, r.Error)
	}
}

func TestRefreshRotationAndReuseDetection(t *testing.T) {
	t.Parallel()
	e := newEnv(t, users.LoginLimits{})
	s := e.register("rot@example.com", "")

	r := e.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": s.RefreshToken})
	if r.Status != http.StatusOK {
		t.Fatalf("refresh: got %d %+v", r.Status, r.Error)
	}
	second := integration.Data[session](t, r)
	if second.RefreshToken == s.RefreshToken || second.Token == "" {
		t.Fatalf("refresh must rotate: got %+v", second)
	}
	// Presenting the first token again is a reuse: 401, and the family is revoked, so the
	// second token dies too.
	if r := e.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": s.RefreshToken}); r.Status != 401 || !strings.Contains(r.Error.Message, "already used") {
		t.Fatalf("reuse: got %d %+v", r.Status, r.Error)
	}
	if r := e.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": second.RefreshToken}); r.Status != 401 {
		t.Fatalf("token of a revoked family: got %d", r.Status)
	}
	// Another login's family is unaffected.
	l := integration.Data[session](t, e.do("POST", "/api/v1/auth/login", "", map[string]string{"email": "rot@example.com", "password": "password123"}))
	if r := e.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": l.RefreshToken}); r.Status != 200 {
		t.Fatalf("other family: got %d", r.Status)
	}
	if r := e.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": "garbage"}); r.Status != 401 {
		t.Fatalf("unknown token: got %d", r.Status)
	}
	var stored int
	_ = e.db.QueryRow(context.Background(), `SELECT count(*) FROM refresh_tokens WHERE token_hash = convert_to($1, 'UTF8')`, l.RefreshToken).Scan(&stored)
	if stored != 0 {
		t.Errorf("refresh tokens must be stored hashed, found one in clear")
	}
}

func TestConcurrentRefreshOnlyOneWins(t *testing.T) {
	t.Parallel()
	e := newEnv(t, users.LoginLimits{})
	s := e.register("race@example.com", "")
	var wg sync.WaitGroup
	codes := make(chan int, 8)
	for range 8 {
		wg.Go(func() {
			codes <- e.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": s.RefreshToken}).Status
		})
	}
	wg.Wait()
	close(codes)
	ok := 0
	for c := range codes {
		if c == 200 {
			ok++
		}
	}
	if ok != 1 {
		t.Fatalf("concurrent refreshes of one token: %d succeeded, want exactly 1", ok)
	}
}

func TestLogoutRevokesTheFamily(t *testing.T) {
	t.Parallel()
	e := newEnv(t, users.LoginLimits{})
	s := e.register("out@example.com", "")
	r := e.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": s.RefreshToken})
	rotated := integration.Data[session](t, r)
	if r := e.do("POST", "/api/v1/auth/logout", "", map[string]string{"refresh_token": rotated.RefreshToken}); r.Status != 200 {
		t.Fatalf("logout: got %d", r.Status)
	}
	if r := e.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": rotated.RefreshToken}); r.Status != 401 {
		t.Fatalf("refresh after logout: got %d, want 401", r.Status)
	}
	if r := e.do("POST", "/api/v1/auth/logout", "", map[string]string{"refresh_token": rotated.RefreshToken}); r.Status != 200 {
		t.Fatalf("second logout must be idempotent: got %d", r.Status)
	}
}

func TestAdminRoutesNeedTheAdminRole(t *testing.T) {
	t.Parallel()
	e := newEnv(t, users.LoginLimits{})
	attendee := e.register("att@example.com", "")
	organizer := e.register("org@example.com", "organizer")
	if organizer.User.Role != "organizer" {
		t.Fatalf("organizer role: got %q", organizer.User.Role)
	}
	admin, created, err := users.CreateAdmin(context.Background(), e.db, "root@example.com", "Root", "password123")
	if err != nil || !created {
		t.Fatalf("create admin: %v %v", created, err)
	}
	adminToken, _ := e.signer.Sign(auth.Identity{UserID: admin.ID, Role: "admin"})

	for _, tok := range []string{attendee.Token, organizer.Token} {
		if r := e.do("GET", "/api/v1/users", tok, nil); r.Status != 403 || r.Error.Code != "forbidden" {
			t.Errorf("list users as non-admin: got %d %+v", r.Status, r.Error)
		}
		if r := e.do("PATCH", fmt.Sprintf("/api/v1/users/%d/role", attendee.User.ID), tok, map[string]string{"role": "admin"}); r.Status != 403 {
			t.Errorf("set role as non-admin: got %d", r.Status)
		}
	}
	if r := e.do("GET", "/api/v1/users", "", nil); r.Status != 401 {
		t.Errorf("list users anonymously: got %d", r.Status)
	}

	r := e.do("GET", "/api/v1/users?limit=2", adminToken, nil)
	if r.Status != 200 || r.Page.NextCursor == "" || r.Page.Limit != 2 {
		t.Fatalf("admin list page 1: got %d %s %+v", r.Status, r.Data, r.Page)
	}
	page1 := integration.Data[[]session](t, response{Data: wrapUsers(r.Data)})
	r2 := e.do("GET", "/api/v1/users?limit=2&cursor="+r.Page.NextCursor, adminToken, nil)
	page2 := integration.Data[[]session](t, response{Data: wrapUsers(r2.Data)})
	if len(page1) != 2 || len(page2) != 1 || r2.Page.NextCursor != "" || page2[0].User.ID == page1[1].User.ID {
		t.Fatalf("pagination: page1 %s page2 %s next %q", r.Data, r2.Data, r2.Page.NextCursor)
	}
	if r := e.do("GET", "/api/v1/users?cursor=!!bad", adminToken, nil); r.Status != 400 {
		t.Errorf("malformed cursor: got %d", r.Status)
	}
	if r := e.do("GET", "/api/v1/users?limit=10000", adminToken, nil); r.Status != 400 {
		t.Errorf("limit 10000: got %d", r.Status)
	}

	r = e.do("PATCH", fmt.Sprintf("/api/v1/users/%d/role", attendee.User.ID), adminToken, map[string]string{"role": "organizer"})
	if r.Status != 200 || !strings.Contains(string(r.Data), `"role":"organizer"`) {
		t.Fatalf("promote: got %d %s", r.Status, r.Data)
	}
	if r := e.do("PATCH", fmt.Sprintf("/api/v1/users/%d/role", admin.ID), adminToken, map[string]string{"role": "attendee"}); r.Status != 422 {
		t.Errorf("admin demoting itself: got %d, want 422", r.Status)
	}
	if r := e.do("PATCH", fmt.Sprintf("/api/v1/users/%d/role", attendee.User.ID), adminToken, map[string]string{"role": "king"}); r.Status != 400 {
		t.Errorf("unknown role: got %d, want 400", r.Status)
	}
	// The new role reaches new tokens through refresh.
	rr := e.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": attendee.RefreshToken})
	if got := integration.Data[session](t, rr).User.Role; got != "organizer" {
		t.Errorf("role after refresh: got %q", got)
	}
}

func wrapUsers(raw json.RawMessage) json.RawMessage {
	var list []json.RawMessage
	_ = json.Unmarshal(raw, &list)
	out := make([]string, len(list))
	for i, u := range list {
		out[i] = `{"user":` + string(u) + `}`
	}
	return json.RawMessage("[" + strings.Join(out, ",") + "]")
}

func TestJWKSAndOutbox(t *testing.T) {
	t.Parallel()
	e := newEnv(t, users.LoginLimits{})
	s := e.register("keys@example.com", "")
	res, err := http.Get(e.srv.URL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var jwks struct {
		Keys []map[string]string `json:"keys"`
	}
	_ = json.NewDecoder(res.Body).Decode(&jwks)
	if len(jwks.Keys) != 1 || jwks.Keys[0]["kid"] != auth.KeyID(e.signer.PublicKey()) || jwks.Keys[0]["alg"] != "EdDSA" {
		t.Fatalf("jwks: got %+v", jwks)
	}
	var subject, payload string
	err = e.db.QueryRow(context.Background(), `SELECT subject, payload::text FROM outbox`).Scan(&subject, &payload)
	if err != nil || subject != "platform.user.registered" || !strings.Contains(payload, fmt.Sprintf(`"user_id": %d`, s.User.ID)) {
		t.Fatalf("outbox: got %q %q %v", subject, payload, err)
	}
}

// TestAnAdminGrantsTheEditorRole: only an admin makes a user an editor (an editor cannot
// make another); the new role reaches the user's next token, which every service accepts.
func TestAnAdminGrantsTheEditorRole(t *testing.T) {
	t.Parallel()
	e := newEnv(t, users.LoginLimits{})
	ed := e.register("ed@example.com", "")
	other := e.register("other@example.com", "organizer")
	admin, _, err := users.CreateAdmin(context.Background(), e.db, "root@example.com", "Root", "password123")
	if err != nil {
		t.Fatal(err)
	}
	adminToken, _ := e.signer.Sign(auth.Identity{UserID: admin.ID, Role: auth.RoleAdmin})
	path := fmt.Sprintf("/api/v1/users/%d/role", ed.User.ID)

	for name, tok := range map[string]string{"the user": ed.Token, "an organizer": other.Token} {
		if r := e.do("PATCH", path, tok, map[string]string{"role": "editor"}); r.Status != http.StatusForbidden {
			t.Errorf("%s grants editor: got %d %s, want 403", name, r.Status, r.Raw)
		}
	}
	r := e.do("PATCH", path, adminToken, map[string]string{"role": "editor"})
	if r.Status != http.StatusOK || !strings.Contains(string(r.Data), `"role":"editor"`) {
		t.Fatalf("admin grants editor: got %d %s", r.Status, r.Raw)
	}
	rr := e.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": ed.RefreshToken})
	s := integration.Data[session](t, rr)
	if s.User.Role != "editor" {
		t.Fatalf("role after refresh: got %q %s", s.User.Role, rr.Raw)
	}
	id, err := auth.NewVerifier("events-platform", e.signer.PublicKey()).Verify(s.Token)
	if err != nil || id.Role != auth.RoleEditor || !id.IsCurator() || id.IsAdmin() {
		t.Fatalf("the editor's token: got %+v, %v", id, err)
	}
	if r := e.do("GET", "/api/v1/users/me", s.Token, nil); r.Status != http.StatusOK || !strings.Contains(string(r.Data), `"role":"editor"`) {
		t.Errorf("me with the editor's token: got %d %s", r.Status, r.Raw)
	}
	// An editor curates; making editors stays with admins.
	if r := e.do("PATCH", fmt.Sprintf("/api/v1/users/%d/role", other.User.ID), s.Token, map[string]string{"role": "editor"}); r.Status != http.StatusForbidden {
		t.Errorf("an editor grants editor: got %d %s, want 403", r.Status, r.Raw)
	}
	if r := e.do("GET", "/api/v1/users?role=editor", adminToken, nil); r.Status != http.StatusOK || !strings.Contains(string(r.Data), "ed@example.com") ||
		strings.Contains(string(r.Data), "other@example.com") {
		t.Errorf("editors listed: got %d %s", r.Status, r.Raw)
	}
}
