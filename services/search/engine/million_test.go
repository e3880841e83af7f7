package engine

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The index over a real database of events: BENCH_DATABASE_URL names one (for example
// the load tool's bench_search, 1M events). Run:
//
//	BENCH_DATABASE_URL=postgres://.../bench_search go test -run XXX -bench . -benchtime 200x ./services/search/engine/
var million struct {
	once sync.Once
	ix   *Index
	err  error
}

func loadMillion(b *testing.B) *Index {
	url := os.Getenv("BENCH_DATABASE_URL")
	if url == "" {
		b.Skip("BENCH_DATABASE_URL is not set")
	}
	million.once.Do(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			million.err = err
			return
		}
		defer conn.Close(ctx)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		ix, err := Load(ctx, conn)
		if err != nil {
			million.err = err
			return
		}
		loaded := time.Since(start)
		runtime.GC()
		runtime.ReadMemStats(&after)
		fmt.Printf("index of %d events: loaded (read and built) in %s, heap %.0f MiB (estimate %.0f MiB)\n", ix.Len(), loaded.Round(time.Millisecond),
			float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), float64(ix.MemoryBytes())/(1<<20))
		start = time.Now()
		for i := range 1000 {
			ix.Put(Doc{ID: int64(-i - 1), Title: "Changed event", Category: "music", StartsAt: time.Now().Add(time.Hour)})
		}
		fmt.Printf("put 1,000 events after the build: %s each\n", (time.Since(start) / 1000).Round(time.Microsecond))
		million.ix = ix
	})
	if million.err != nil {
		b.Fatal(million.err)
	}
	return million.ix
}

func BenchmarkShapes(b *testing.B) {
	ix := loadMillion(b)
	lat, lng := ptr(52.52), ptr(13.405)
	day := 24 * time.Hour
	now := time.Now()
	for _, s := range []struct {
		name string
		q    Query
	}{
		{"word", Query{Q: "jazz"}},
		{"common word", Query{Q: "music"}},
		{"two words", Query{Q: "live music"}},
		{"three words", Query{Q: "data engineering meetup"}},
		{"prefix", Query{Q: "tech"}},
		{"short prefix", Query{Q: "m"}},
		{"typo", Query{Q: "jzaz"}},
		{"category", Query{Category: "music"}},
		{"radius 5 km", Query{Lat: lat, Lng: lng, RadiusKm: 5}},
		{"radius 100 km", Query{Lat: lat, Lng: lng, RadiusKm: 100}},
		{"dates 7 days", Query{To: now.Add(7 * day)}},
		{"dates 6 months", Query{From: now.Add(30 * day), To: now.Add(180 * day)}},
		{"price <= 20", Query{PriceMax: ptr(20)}},
		{"free", Query{Free: true}},
		{"word + category", Query{Q: "festival", Category: "music"}},
		{"word + 5 km", Query{Q: "jazz", Lat: lat, Lng: lng, RadiusKm: 5}},
		{"word + 100 km", Query{Q: "workshop", Lat: lat, Lng: lng, RadiusKm: 100}},
		{"word + 7 days", Query{Q: "yoga", To: now.Add(7 * day)}},
		{"word + free", Query{Q: "meetup", Free: true}},
		{"word, by date", Query{Q: "workshop", Sort: "date"}},
		{"word, by distance", Query{Q: "coffee", Sort: "distance", Lat: lat, Lng: lng}},
		{"all, by distance", Query{Sort: "distance", Lat: lat, Lng: lng}},
		{"no words, no filters", Query{}},
	} {
		b.Run(s.name, func(b *testing.B) {
			var r Result
			for b.Loop() {
				r = ix.Search(s.q, now)
			}
			b.ReportMetric(float64(r.Total), "matches")
		})
	}
}
