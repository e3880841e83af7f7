package search

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/events-platform/events-platform/test/integration"
)

// The Go numbering of cells (cellAt) must be the SQL one (geo_cells, migration
// 0005_search_words_and_cells, which fills event_search.cells), or a radius search would ask
// the index for cells no event is in. Checked on random points, on the grid lines of
// every size (where a rounding difference would show), and at the edges of the map.
func TestCellsAreNumberedAsInTheDatabase(t *testing.T) {
	db, _ := integration.Pool(t)
	rng := rand.New(rand.NewPCG(3, 4))
	points := [][2]float64{{52.52, 13.405}, {-33.8688, 151.2093}, {0, 0}, {-90, -180}, {89.99, 179.99}, {51.5, -0.1},
		{90, 180}, {-90, 180}, {90, -180}, {-0.0000001, -0.0000001}}
	for range 20_000 {
		points = append(points, [2]float64{rng.Float64()*180 - 90, rng.Float64()*360 - 180})
	}
	for _, s := range cellSizes {
		for k := range int(180/s) + 1 {
			lat := float64(k)*s - 90
			points = append(points, [2]float64{lat, rng.Float64()*360 - 180}, [2]float64{math.Nextafter(lat, -90), lat * 2})
		}
		for k := range int(360/s) + 1 {
			lng := float64(k)*s - 180
			points = append(points, [2]float64{rng.Float64()*180 - 90, lng}, [2]float64{lng / 2, math.Nextafter(lng, 180)})
		}
	}
	lats, lngs := make([]float64, len(points)), make([]float64, len(points))
	for i, pt := range points {
		lats[i], lngs[i] = pt[0], pt[1]
	}
	rows, err := db.Query(context.Background(), `SELECT geo_cells(lat, lng) FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS p (lat, lng, i) ORDER BY i`, lats, lngs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[[]int32])
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(points) {
		t.Fatalf("%d points, %d rows", len(points), len(got))
	}
	for i, pt := range points {
		var want []int32
		for size := range cellSizes {
			want = append(want, cellAt(size, pt[0], pt[1]))
		}
		if !slices.Equal(got[i], want) {
			t.Fatalf("cells of %v: database %v, Go %v", pt, got[i], want)
		}
	}
}

// Every point within the radius lies in one of the covering cells; circles at a pole or
// across the antimeridian are left to the distance filter alone.
func TestCoverHoldsTheWholeCircle(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 2000 {
		lat, lng := rng.Float64()*160-80, rng.Float64()*340-170
		radius := math.Exp(rng.Float64()*math.Log(2_000_000/100)) * 100 // 100 m to 2,000 km
		cells, ok := cover(lat, lng, radius)
		if !ok {
			continue
		}
		if len(cells) > maxCoverCells {
			t.Fatalf("cover(%v, %v, %v): %d cells", lat, lng, radius, len(cells))
		}
		size := int(cells[0] >> 28)
		for range 50 {
			// A point at a random bearing on (or just inside) the circle.
			d, b := radius/earthRadius*math.Sqrt(rng.Float64()), rng.Float64()*2*math.Pi
			la1, lo1 := lat*math.Pi/180, lng*math.Pi/180
			la2 := math.Asin(math.Sin(la1)*math.Cos(d) + math.Cos(la1)*math.Sin(d)*math.Cos(b))
			lo2 := lo1 + math.Atan2(math.Sin(b)*math.Sin(d)*math.Cos(la1), math.Cos(d)-math.Sin(la1)*math.Sin(la2))
			if c := cellAt(size, la2*180/math.Pi, lo2*180/math.Pi); !slices.Contains(cells, c) {
				t.Fatalf("cover(%v, %v, %v) = %v misses (%v, %v) in %v", lat, lng, radius, cells, la2*180/math.Pi, lo2*180/math.Pi, c)
			}
		}
	}
	for _, c := range [][3]float64{{89.9, 0, 50_000}, {-89.9, 10, 50_000}, {10, 179.9, 50_000}, {10, -179.95, 20_000}, {0, 0, 10_000_000}} {
		if _, ok := cover(c[0], c[1], c[2]); ok {
			t.Errorf("cover%v: want no cells", c)
		}
	}
	if cells, ok := cover(52.52, 13.405, 25_000); !ok || cells[0]>>28 != 1 {
		t.Errorf("25 km around Berlin: got %v, want cells of 0.4°", cells)
	}
}

func TestQueryWords(t *testing.T) {
	if got := queryWords(`"Techno confrence" -Berlin or BERLIN café`); !slices.Equal(got, []string{"techno", "confrence", "berlin", "or", "café"}) {
		t.Errorf("got %v", got)
	}
}

// The sampled facet query must be able to use the index of the sample (its condition
// has to match the index predicate as written), and a search within a radius or in a
// category the index of prefixed words (its expression has to match the index's).
func TestFacetsUseTheirIndexes(t *testing.T) {
	db, _ := integration.Pool(t)
	ctx := context.Background()
	// A few hundred events around Berlin, one in fifty about salsa, with statistics.
	_, err := db.Exec(ctx, `
		INSERT INTO users (email, password_hash, name, role) VALUES ('org@example.com', 'x', 'Org', 'organizer');
		INSERT INTO events (title, category, starts_at, lat, lng, status, created_by)
		SELECT CASE WHEN i % 50 = 0 THEN 'Salsa Night ' ELSE 'Jazz Evening ' END || i, 'music',
			now() + i * interval '1 hour', 52.4 + (i % 30) * 0.01, 13.4, 'published', (SELECT id FROM users LIMIT 1)
		FROM generate_series(1, 800) i;
		ANALYZE event_search`)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	// So few rows are read fastest by any scan; leave the planner the bitmap scans only.
	if _, err := conn.Exec(ctx, `SET enable_seqscan = off; SET enable_indexscan = off`); err != nil {
		t.Fatal(err)
	}
	explain := func(sql string, args []any) string {
		var plan strings.Builder
		rows, err := conn.Query(ctx, "EXPLAIN "+sql, customPlan(args)...)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan.WriteString(line + "\n")
		}
		return plan.String()
	}
	if plan := explain(Params{Q: "salsa"}.facetsSQL(true)); !strings.Contains(plan, "event_search_sample_idx") {
		t.Errorf("sampled facets do not use event_search_sample_idx:\n%s", plan)
	}
	lat, lng := 52.52, 13.405
	if plan := explain(Params{Q: "salsa night", Lat: &lat, Lng: &lng, RadiusKm: 25}.facetsSQL(false)); !strings.Contains(plan, "event_search_place_idx") {
		t.Errorf("facets within a radius do not use event_search_place_idx:\n%s", plan)
	}
	if plan := explain(Params{Q: "salsa night", Category: "music"}.facetsSQL(false)); !strings.Contains(plan, "event_search_topic_idx") {
		t.Errorf("facets in a category do not use event_search_topic_idx:\n%s", plan)
	}
}
