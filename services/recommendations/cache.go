package recommendations

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// A user's pages of recommendations are cached in Redis, one hash per user (field: the
// algorithm, limit, filters and model version), so that one DEL forgets them all when the
// user registers or gives feedback. A cached page is used only while every event on it is
// still in the catalogue; a new model version uses new fields. Redis down: no cache, not
// an error.

type cache struct {
	rdb    *goredis.Client
	ttl    time.Duration
	prefix string
	log    *slog.Logger
}

// userKey holds a user's pages (0: anonymous callers').
func userKey(userID int64) string {
	if userID == 0 {
		return "recs:anonymous"
	}
	return "recs:user:" + strconv.FormatInt(userID, 10)
}

// similarKey holds an event's pages of similar events.
func similarKey(eventID int64) string { return "recs:similar:" + strconv.FormatInt(eventID, 10) }

// cached is a page as the cache holds it: the hash's expiry moves with every write, so
// each page carries its own time.
type cached struct {
	At   time.Time       `json:"at"`
	Page Recommendations `json:"page"`
}

// get returns a cached page still valid against sv's catalogue.
func (c *cache) get(ctx context.Context, key, field string, sv *served) (Recommendations, bool) {
	if c.rdb == nil {
		return Recommendations{}, false
	}
	b, err := c.rdb.HGet(ctx, c.prefix+key, field).Bytes()
	var hit cached
	if err != nil || json.Unmarshal(b, &hit) != nil || time.Since(hit.At) > c.ttl {
		return Recommendations{}, false
	}
	for _, r := range hit.Page.Recommendations {
		if _, ok := sv.byID[r.ID]; !ok {
			return Recommendations{}, false
		}
	}
	return hit.Page, true
}

func (c *cache) put(ctx context.Context, key, field string, recs Recommendations) {
	if c.rdb == nil {
		return
	}
	b, err := json.Marshal(cached{At: time.Now(), Page: recs})
	if err != nil {
		return
	}
	pipe := c.rdb.Pipeline()
	pipe.HSet(ctx, c.prefix+key, field, b)
	pipe.Expire(ctx, c.prefix+key, c.ttl)
	if _, err := pipe.Exec(ctx); err != nil {
		c.log.Debug("recommendations: cache write", "err", err)
	}
}

// forget drops a user's cached pages.
func (c *cache) forget(ctx context.Context, userID int64) error {
	if c.rdb == nil {
		return nil
	}
	return c.rdb.Del(ctx, c.prefix+userKey(userID)).Err()
}
