package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/events-platform/events-platform/internal/httpapi"
	"github.com/events-platform/events-platform/internal/httpserver"
)

// gcra charges one request against several limits at once, atomically.
//
// GCRA (the generic cell rate algorithm, a token bucket kept as one timestamp) rather than
// a sliding window: it stores a single number per client instead of a log of requests, so
// memory and work per request are O(1) at any limit; it expresses "N per minute with a
// burst of B" directly, as the configuration does; and it yields exact Retry-After and
// reset times instead of the edge effects of fixed windows. Time comes from Redis, so
// gateway replicas with skewed clocks share one notion of now.
//
// The request is allowed only when every limit allows it, and only then is any limit
// charged: a request refused by the per-user limit costs nothing from the per-IP one.
//
// KEYS[i] holds limit i's theoretical arrival time (TAT) in microseconds; ARGV[2i-1] is
// its emission interval in microseconds (one request per interval in the long run) and
// ARGV[2i] its burst (requests allowed at once after idling). Returns
// {allowed, then per limit: remaining, retry_after_us, reset_after_us}.
var gcra = goredis.NewScript(`
redis.replicate_commands() -- writes after TIME; the default from Redis 7, needed before
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local allowed = 1
local out = {0}
local tats = {}
for i = 1, #KEYS do
  local interval = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i])) or now
  if tat < now then tat = now end
  local new_tat = tat + interval
  local allow_at = new_tat - interval * burst
  if now < allow_at then
    allowed = 0
    out[#out + 1] = 0
    out[#out + 1] = allow_at - now
    out[#out + 1] = tat - now
  else
    out[#out + 1] = math.floor((now - allow_at) / interval)
    out[#out + 1] = 0
    out[#out + 1] = new_tat - now
  end
  tats[i] = new_tat
end
if allowed == 1 then
  for i = 1, #KEYS do
    -- The key expires when its bucket is full again: idle clients cost no memory.
    redis.call('SET', KEYS[i], string.format('%.0f', tats[i]), 'PX', math.ceil((tats[i] - now) / 1000))
  end
end
out[1] = allowed
return out
`)

const (
	// limiterTimeout bounds what Redis may add to a request before the limiter gives up
	// and lets the request through.
	limiterTimeout = 250 * time.Millisecond
	// limiterBackoff is how long the limiter stops asking Redis after a failure, so an
	// outage costs each request nothing rather than limiterTimeout.
	limiterBackoff = time.Second
)

// rateLimit is one limit a request is charged against.
type rateLimit struct {
	scope    string // "ip" or "user": a metrics label and part of the key
	key      string
	interval time.Duration // one request per interval in the long run
	burst    int
}

// perMinute returns a limit of n requests a minute with a burst of burst.
func perMinute(scope, key string, n, burst int) rateLimit {
	return rateLimit{scope: scope, key: key, interval: max(time.Minute/time.Duration(n), time.Microsecond), burst: burst}
}

// limitState is where a client stands against one limit.
type limitState struct {
	limit      rateLimit
	remaining  int64
	retryAfter time.Duration // zero when allowed
	resetAfter time.Duration // until the bucket is full again
}

type limiter struct {
	rdb        *goredis.Client
	prefix     string
	log        *slog.Logger
	metrics    *metrics
	skipUntil  atomic.Int64 // unix nanoseconds; Redis is not asked before then
	lastWarned atomic.Int64 // unix nanoseconds of the last "failing open" log line
}

func newLimiter(rdb *goredis.Client, prefix string, log *slog.Logger, m *metrics) *limiter {
	return &limiter{rdb: rdb, prefix: prefix, log: log, metrics: m}
}

// check charges one request against limits. It returns whether the request may go on and
// the state to report: the refusing limit with the longest wait, or else the limit with
// the fewest requests left.
func (l *limiter) check(ctx context.Context, limits []rateLimit) (bool, limitState, error) {
	keys := make([]string, len(limits))
	args := make([]any, 0, 2*len(limits))
	for i, lim := range limits {
		keys[i] = l.prefix + lim.scope + ":" + lim.key
		args = append(args, lim.interval.Microseconds(), lim.burst)
	}
	// The client's own timeouts may be far longer than a request should wait for a rate
	// limit, and not every command honours a context deadline; so wait here, and let a
	// slow call finish on its own.
	type reply struct {
		v   []int64
		err error
	}
	done := make(chan reply, 1)
	go func() {
		v, err := gcra.Run(context.WithoutCancel(ctx), l.rdb, keys, args...).Int64Slice()
		done <- reply{v, err}
	}()
	timer := time.NewTimer(limiterTimeout)
	defer timer.Stop()
	var res reply
	select {
	case res = <-done:
	case <-timer.C:
		res.err = fmt.Errorf("rate limit: redis did not answer within %s", limiterTimeout)
	case <-ctx.Done():
		return true, limitState{}, ctx.Err()
	}
	if res.err != nil {
		return true, limitState{}, fmt.Errorf("rate limit script: %w", res.err)
	}
	if len(res.v) != 1+3*len(limits) {
		return true, limitState{}, fmt.Errorf("rate limit script: %d values for %d limits", len(res.v), len(limits))
	}
	allowed := res.v[0] == 1
	var shown limitState
	for i, lim := range limits {
		st := limitState{
			limit:      lim,
			remaining:  res.v[1+3*i],
			retryAfter: time.Duration(res.v[2+3*i]) * time.Microsecond,
			resetAfter: time.Duration(res.v[3+3*i]) * time.Microsecond,
		}
		switch {
		case i == 0,
			!allowed && st.retryAfter > shown.retryAfter,
			allowed && st.remaining < shown.remaining:
			shown = st
		}
	}
	return allowed, shown, nil
}

// rateLimit charges r against limits and reports whether it may go on; when not, it has
// answered 429. When Redis cannot answer it lets the request through: a platform that
// stays up unlimited for a while beats one that is down because its limiter is.
func (g *Gateway) rateLimit(w http.ResponseWriter, r *http.Request, limits []rateLimit) bool {
	l := g.limiter
	if time.Now().UnixNano() < l.skipUntil.Load() {
		l.metrics.rateLimitErrors.Inc()
		return true
	}
	allowed, st, err := l.check(r.Context(), limits)
	if err != nil {
		if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
			return true // the client left; whatever follows notices
		}
		l.failedOpen(r.Context(), err)
		return true
	}
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(st.limit.burst))
	h.Set("X-RateLimit-Remaining", strconv.FormatInt(st.remaining, 10))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(ceilSeconds(st.resetAfter), 10))
	if allowed {
		return true
	}
	l.metrics.rateLimitRejections.WithLabelValues(st.limit.scope).Inc()
	retry := max(ceilSeconds(st.retryAfter), 1)
	msg := "too many requests from this address"
	if st.limit.scope == "user" {
		msg = "too many requests for this account"
	}
	httpapi.WriteError(w, httpapi.NewError(http.StatusTooManyRequests, httpapi.CodeRateLimited,
		fmt.Sprintf("%s; retry in %d s", msg, retry)).WithHeader("Retry-After", strconv.FormatInt(retry, 10)))
	return false
}

// failedOpen records a limiter failure, backs off from Redis for a moment, and logs at
// most once every ten seconds so an outage does not flood the log.
func (l *limiter) failedOpen(ctx context.Context, err error) {
	now := time.Now().UnixNano()
	l.skipUntil.Store(now + int64(limiterBackoff))
	l.metrics.rateLimitErrors.Inc()
	last := l.lastWarned.Load()
	if now-last >= int64(10*time.Second) && l.lastWarned.CompareAndSwap(last, now) {
		l.log.WarnContext(ctx, "rate limiter unavailable; letting requests through",
			"request_id", httpserver.RequestID(ctx), "err", err)
	}
}

// ceilSeconds rounds d up to whole seconds.
func ceilSeconds(d time.Duration) int64 {
	return int64(math.Ceil(d.Seconds()))
}
