package users_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/events-platform/events-platform/services/users"
)

// login tries email and password from the client address ip.
func (e *env) login(email, password, ip string) response {
	e.t.Helper()
	return e.do("POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": password}, "X-Client-IP", ip)
}

func wantRateLimited(t *testing.T, r response, what string) int {
	t.Helper()
	secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if r.Status != http.StatusTooManyRequests || r.Error.Code != "rate_limited" || err != nil || secs < 1 {
		t.Fatalf("%s: got %d %+v Retry-After=%q, want 429 rate_limited with Retry-After", what, r.Status, r.Error, r.Header.Get("Retry-After"))
	}
	return secs
}

const (
	attacker = "198.51.100.66"
	owner    = "203.0.113.10"
)

func TestAttackerFromOneClientDoesNotLockOutTheOwner(t *testing.T) {
	t.Parallel()
	e := newEnv(t, users.LoginLimits{PerClient: 3, PerIP: 50, PerAccount: 100, Window: time.Minute})
	e.register("bob@example.com", "")
	e.register("mallory@example.com", "")
	for i := range 3 {
		if r := e.login("bob@example.com", "guess"+strconv.Itoa(i), attacker); r.Status != http.StatusUnauthorized {
			t.Fatalf("guess %d: got %d %+v, want 401", i, r.Status, r.Error)
		}
	}
	// The attacking client is stopped on bob, even with the right password...
	wantRateLimited(t, e.login("bob@example.com", "password123", attacker), "bob from the attacking client after 3 failures")
	// ...but bob, from his own client, gets in.
	if r := e.login("bob@example.com", "password123", owner); r.Status != http.StatusOK {
		t.Fatalf("bob from his client: got %d %+v, want 200", r.Status, r.Error)
	}
	// The attacker's limit is on bob: its own account still works from there.
	if r := e.login("mallory@example.com", "password123", attacker); r.Status != http.StatusOK {
		t.Fatalf("another account from the attacking client: got %d %+v, want 200", r.Status, r.Error)
	}
	// An IPv6 client is its /64: rotating addresses inside it does not buy more guesses.
	for i := range 3 {
		e.login("bob@example.com", "guess", "2001:db8:1:2::"+strconv.Itoa(i+1))
	}
	wantRateLimited(t, e.login("bob@example.com", "password123", "2001:db8:1:2:ffff::9"), "bob from the attacker's /64")
	if r := e.login("bob@example.com", "password123", "2001:db8:1:3::1"); r.Status != http.StatusOK {
		t.Fatalf("bob from another /64: got %d %+v, want 200", r.Status, r.Error)
	}
}

func TestAccountWideDelaysGrowForUnknownClients(t *testing.T) {
	t.Parallel()
	e := newEnv(t, users.LoginLimits{PerClient: 10, PerIP: 100, PerAccount: 2, BaseDelay: time.Second,
		MaxDelay: time.Minute, Window: time.Minute})
	e.register("dave@example.com", "")
	if r := e.login("dave@example.com", "password123", owner); r.Status != http.StatusOK {
		t.Fatalf("dave's first login: got %d %+v", r.Status, r.Error)
	}
	// A spray from many addresses, one guess each: no client reaches its own limit, but the
	// account's failures do, and each further failure doubles the wait.
	next := 0
	spray := func() string {
		next++
		return "192.0.2." + strconv.Itoa(next)
	}
	for range 2 {
		if r := e.login("dave@example.com", "wrong-guess", spray()); r.Status != http.StatusUnauthorized {
			t.Fatalf("spray below the account ceiling: got %d %+v, want 401", r.Status, r.Error)
		}
	}
	var waits []int
	for range 3 {
		secs := wantRateLimited(t, e.login("dave@example.com", "wrong-guess", spray()), "a new client past the account ceiling")
		waits = append(waits, secs)
		// dave's known client is not made to wait.
		if r := e.login("dave@example.com", "password123", owner); r.Status != http.StatusOK {
			t.Fatalf("dave from his known client during the delay: got %d %+v, want 200", r.Status, r.Error)
		}
		if len(waits) == 3 {
			break
		}
		time.Sleep(time.Duration(secs) * time.Second)
		if r := e.login("dave@example.com", "wrong-guess", spray()); r.Status != http.StatusUnauthorized {
			t.Fatalf("a guess after the delay: got %d %+v, want 401", r.Status, r.Error)
		}
	}
	if waits[0] != 1 || waits[1] != 2 || waits[2] != 4 {
		t.Fatalf("Retry-After after 2, 3 and 4 failures: got %v, want [1 2 4]", waits)
	}
	// dave's successes did not reset the account's count: a client dave never used still waits.
	wantRateLimited(t, e.login("dave@example.com", "password123", spray()), "an unknown client after dave's success")
}

func TestLoginSuccessResetsThatClientsCountOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t, users.LoginLimits{PerClient: 3, PerIP: 50, PerAccount: 100, Window: time.Minute})
	e.register("erin@example.com", "")
	for range 3 {
		e.login("erin@example.com", "guess", attacker)
	}
	for range 2 {
		e.login("erin@example.com", "typo", owner)
	}
	if r := e.login("erin@example.com", "password123", owner); r.Status != http.StatusOK {
		t.Fatalf("erin after 2 typos: got %d %+v, want 200", r.Status, r.Error)
	}
	// Her success cleared her client's count: two more typos leave her under the limit.
	for range 2 {
		e.login("erin@example.com", "typo", owner)
	}
	if r := e.login("erin@example.com", "password123", owner); r.Status != http.StatusOK {
		t.Fatalf("erin after 2 more typos: got %d %+v, want 200", r.Status, r.Error)
	}
	// It did not clear the attacker's.
	wantRateLimited(t, e.login("erin@example.com", "password123", attacker), "the attacking client after erin's success")
}

// While Redis fails every call at once (its circuit breaker is open), logins go on
// without limits rather than stopping for everyone.
func TestLoginWorksWhileRedisIsDown(t *testing.T) {
	t.Parallel()
	rdb := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialerRetries: 1, DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	if rdb.Ping(context.Background()).Err() == nil {
		t.Skip("something listens on 127.0.0.1:1")
	}
	e := newEnvWithRedis(t, users.LoginLimits{PerClient: 1, PerIP: 1, PerAccount: 1, Window: time.Minute}, rdb)
	e.register("frank@example.com", "")
	for range 3 {
		if r := e.login("frank@example.com", "wrong-guess", attacker); r.Status != http.StatusUnauthorized {
			t.Fatalf("wrong password with Redis down: got %d %+v, want 401", r.Status, r.Error)
		}
	}
	if r := e.login("frank@example.com", "password123", attacker); r.Status != http.StatusOK {
		t.Fatalf("right password with Redis down: got %d %+v, want 200", r.Status, r.Error)
	}
}
