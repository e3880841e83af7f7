package search

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/events-platform/events-platform/internal/redis"
)

// Cache: a page is stored with the generation of the events it was computed from; a
// change to any event bumps the generation, which retires every cached page at once. The
// key holds the release, so pages cached by another release (during a rolling upgrade) are
// not served. One round trip reads the generation and the page; a miss adds one to store
// the new page.

func (s *Service) genKey() string { return s.prefix + "search:gen" }

// cacheEntry is where a page is cached and the generation it must carry.
type cacheEntry struct{ key, gen string }

// cached returns the cached page for v when there is one of the current generation, and
// where to store a new one (a zero entry: do not store).
func (s *Service) cached(ctx context.Context, kind string, v any) ([]byte, cacheEntry) {
	if s.rdb == nil {
		return nil, cacheEntry{}
	}
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	key := s.prefix + "search:" + s.version + ":" + kind + ":" + hex.EncodeToString(sum[:16])
	vals, err := s.rdb.MGet(ctx, s.genKey(), key).Result()
	if err != nil {
		redis.WarnUnlessDown(ctx, s.log, "search cache read", err)
		return nil, cacheEntry{}
	}
	gen, _ := vals[0].(string)
	entry := cacheEntry{key: key, gen: gen + "\n"}
	if page, ok := vals[1].(string); ok && strings.HasPrefix(page, entry.gen) {
		return []byte(page[len(entry.gen):]), entry
	}
	return nil, entry
}

func (s *Service) store(ctx context.Context, e cacheEntry, b []byte) {
	if e.key == "" {
		return
	}
	if err := s.rdb.Set(ctx, e.key, append([]byte(e.gen), b...), s.ttl).Err(); err != nil {
		redis.WarnUnlessDown(ctx, s.log, "search cache write", err)
	}
}

// Invalidate retires every cached page and marks the autocomplete terms for refresh.
func (s *Service) Invalidate(ctx context.Context) error {
	s.termsDirty.Store(true)
	if s.rdb == nil {
		return nil
	}
	return s.rdb.Incr(ctx, s.genKey()).Err()
}
