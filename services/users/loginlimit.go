package users

import (
	"context"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// LoginLimits bound failed logins within a window, per account (against password guessing
// on one account) and per client IP (against spraying many accounts).
type LoginLimits struct {
	PerAccount int
	PerIP      int
	Window     time.Duration
}

func (l LoginLimits) withDefaults() LoginLimits {
	if l.PerAccount <= 0 {
		l.PerAccount = 10
	}
	if l.PerIP <= 0 {
		l.PerIP = 50
	}
	if l.Window <= 0 {
		l.Window = 15 * time.Minute
	}
	return l
}

type loginLimiter struct {
	rdb    *goredis.Client
	prefix string
	limits LoginLimits
}

func newLoginLimiter(rdb *goredis.Client, prefix string, l LoginLimits) *loginLimiter {
	return &loginLimiter{rdb: rdb, prefix: prefix + "login:", limits: l.withDefaults()}
}

func (l *loginLimiter) keys(email, ip string) (account, addr string) {
	return l.prefix + "acct:" + strings.ToLower(email), l.prefix + "ip:" + ip
}

// blocked returns how long until email or ip may try again, or 0. When Redis is down it
// allows the attempt: bcrypt already makes guessing slow, and logins must keep working.
func (l *loginLimiter) blocked(ctx context.Context, email, ip string) time.Duration {
	acct, addr := l.keys(email, ip)
	pipe := l.rdb.Pipeline()
	acctN, addrN := pipe.Get(ctx, acct), pipe.Get(ctx, addr)
	acctTTL, addrTTL := pipe.PTTL(ctx, acct), pipe.PTTL(ctx, addr)
	_, _ = pipe.Exec(ctx)
	var wait time.Duration
	if n, _ := acctN.Int(); n >= l.limits.PerAccount {
		wait = max(wait, acctTTL.Val())
	}
	if n, _ := addrN.Int(); n >= l.limits.PerIP {
		wait = max(wait, addrTTL.Val())
	}
	return wait
}

// failed counts a failed attempt against both keys.
func (l *loginLimiter) failed(ctx context.Context, email, ip string) error {
	acct, addr := l.keys(email, ip)
	pipe := l.rdb.TxPipeline()
	for _, k := range []string{acct, addr} {
		pipe.Incr(ctx, k)
		pipe.ExpireNX(ctx, k, l.limits.Window)
	}
	_, err := pipe.Exec(ctx)
	return err
}

// succeeded clears the account's count; the IP's stays, so one good password does not
// reset a spraying client.
func (l *loginLimiter) succeeded(ctx context.Context, email string) error {
	acct, _ := l.keys(email, "")
	return l.rdb.Del(ctx, acct).Err()
}
