package users

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// LoginLimits is the login policy: how failed logins slow down further attempts. It is
// built so that nobody can lock an account's owner out by failing on purpose.
//
//   - Per account and client: PerClient failures within Window stop that client on that
//     account until the Window ends (429 with Retry-After). A guesser on one address meets
//     this first, and only the guesser meets it: the owner on another client is unaffected.
//   - Per client: PerIP failures within Window, on any accounts, stop the client on every
//     account (against spraying one password over many accounts).
//   - Per account: from its PerAccount-th failure (from all clients together) on, each
//     failure makes every client the account does not know wait: BaseDelay, doubling with
//     each failure up to MaxDelay (429 with Retry-After; a delay, never a lockout). A client is
//     known to an account for RememberClient after logging in to it, and is never made to
//     wait: guesses spread over many addresses slow to a few an hour while the owner, from
//     a device used before, still gets in. The count is forgotten Window+MaxDelay after
//     the account's last failure.
//
// A client is the caller's IPv4 address or IPv6 /64 (one host usually holds a whole /64).
// A successful login clears that client's failures on the account and makes the client
// known; it clears neither the client's count across accounts nor the account's count,
// since the owner succeeding says nothing about whoever else is guessing.
//
// When Redis fails (down, or its circuit breaker open) logins go on unlimited: refusing
// them would turn a cache outage into a login outage for every user, the very denial of
// service this policy exists to prevent, while bcrypt still costs a guesser ~50 ms of CPU a
// try and the gateway's per-IP request limit still applies where its Redis works.
type LoginLimits struct {
	PerClient      int           // failures per account and client within Window (10)
	PerIP          int           // failures per client across accounts within Window (50)
	Window         time.Duration // how long the counts above last (15m)
	PerAccount     int           // account-wide failures at which delays begin (100)
	BaseDelay      time.Duration // first account-wide delay, doubled per failure (1s)
	MaxDelay       time.Duration // longest account-wide delay (15m)
	RememberClient time.Duration // how long a client that logged in stays known (30 days)
}

func (l LoginLimits) withDefaults() LoginLimits {
	if l.PerClient <= 0 {
		l.PerClient = 10
	}
	if l.PerIP <= 0 {
		l.PerIP = 50
	}
	if l.Window <= 0 {
		l.Window = 15 * time.Minute
	}
	if l.PerAccount <= 0 {
		l.PerAccount = 100
	}
	if l.BaseDelay <= 0 {
		l.BaseDelay = time.Second
	}
	if l.MaxDelay <= 0 {
		l.MaxDelay = 15 * time.Minute
	}
	if l.RememberClient <= 0 {
		l.RememberClient = 30 * 24 * time.Hour
	}
	return l
}

// delay returns how long clients the account does not know wait after its n-th failure.
func (l LoginLimits) delay(n int64) time.Duration {
	over := n - int64(l.PerAccount)
	if over < 0 {
		return 0
	}
	if over >= 32 || l.BaseDelay<<over > l.MaxDelay {
		return l.MaxDelay
	}
	return l.BaseDelay << over
}

type loginLimiter struct {
	rdb    *goredis.Client
	prefix string
	limits LoginLimits
}

func newLoginLimiter(rdb *goredis.Client, prefix string, l LoginLimits) *loginLimiter {
	return &loginLimiter{rdb: rdb, prefix: prefix + "login:", limits: l.withDefaults()}
}

// loginKeys are the Redis keys of one attempt. A client never contains '|', so a pair key
// names one email and one client.
type loginKeys struct {
	pair    string // failures of the client on the account
	client  string // failures of the client on any account
	account string // failures on the account from any client
	wait    string // exists while the account makes unknown clients wait
	known   string // exists while the client is known to the account
}

func (l *loginLimiter) keys(email, client string) loginKeys {
	email = strings.ToLower(email)
	return loginKeys{
		pair:    l.prefix + "pair:" + client + "|" + email,
		client:  l.prefix + "ip:" + client,
		account: l.prefix + "acct:" + email,
		wait:    l.prefix + "wait:" + email,
		known:   l.prefix + "known:" + client + "|" + email,
	}
}

// wait returns how long client must wait before trying email again, or 0. On an error it
// returns 0 with the error: the caller lets the attempt through (see LoginLimits).
func (l *loginLimiter) wait(ctx context.Context, email, client string) (time.Duration, error) {
	k := l.keys(email, client)
	pipe := l.rdb.Pipeline()
	pairN, pairTTL := pipe.Get(ctx, k.pair), pipe.PTTL(ctx, k.pair)
	clientN, clientTTL := pipe.Get(ctx, k.client), pipe.PTTL(ctx, k.client)
	accountWait, known := pipe.PTTL(ctx, k.wait), pipe.Exists(ctx, k.known)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, goredis.Nil) {
		return 0, fmt.Errorf("read login limits: %w", err)
	}
	var wait time.Duration
	if n, _ := pairN.Int(); n >= l.limits.PerClient {
		wait = max(wait, pairTTL.Val())
	}
	if n, _ := clientN.Int(); n >= l.limits.PerIP {
		wait = max(wait, clientTTL.Val())
	}
	if known.Val() == 0 {
		wait = max(wait, accountWait.Val())
	}
	return wait, nil
}

// failed counts a failed attempt of client on email, and starts the account's next delay
// once it is past its ceiling.
func (l *loginLimiter) failed(ctx context.Context, email, client string) error {
	k := l.keys(email, client)
	pipe := l.rdb.TxPipeline()
	for _, key := range []string{k.pair, k.client} {
		pipe.Incr(ctx, key)
		pipe.ExpireNX(ctx, key, l.limits.Window)
	}
	accountN := pipe.Incr(ctx, k.account)
	pipe.PExpire(ctx, k.account, l.limits.Window+l.limits.MaxDelay)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("count failed login: %w", err)
	}
	if d := l.limits.delay(accountN.Val()); d > 0 {
		if err := l.rdb.Set(ctx, k.wait, 1, d).Err(); err != nil {
			return fmt.Errorf("start login delay: %w", err)
		}
	}
	return nil
}

// succeeded clears client's failures on email and remembers client as known to it.
func (l *loginLimiter) succeeded(ctx context.Context, email, client string) error {
	k := l.keys(email, client)
	pipe := l.rdb.TxPipeline()
	pipe.Del(ctx, k.pair)
	pipe.Set(ctx, k.known, 1, l.limits.RememberClient)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("record successful login: %w", err)
	}
	return nil
}
