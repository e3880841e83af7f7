package engine

import (
	"math"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
)

// Places. Each event with a place is a point on the unit sphere (a vector from the Earth's
// centre): the straight-line (chord) distance between two points orders them as the
// great-circle distance does, so a radius test or a nearest-first walk is a few
// multiplications per event, and trigonometry is left for the distances shown. Events are
// also filed by cell of a grid of cellDegrees, which a circle narrows to the cells it
// touches.

// earthKm is the Earth's mean radius.
const earthKm = 6371.0088

// point is a place as a unit vector; the zero point is no place.
type point struct{ x, y, z float64 }

func pointOf(lat, lng float64) point {
	φ, λ := lat*math.Pi/180, lng*math.Pi/180
	return point{math.Cos(φ) * math.Cos(λ), math.Cos(φ) * math.Sin(λ), math.Sin(φ)}
}

// chord2 is the square of the straight-line distance between p and q, in Earth radii.
func (p point) chord2(q point) float64 {
	dx, dy, dz := p.x-q.x, p.y-q.y, p.z-q.z
	return dx*dx + dy*dy + dz*dz
}

// kmOfChord2 is the great-circle distance of a squared chord.
func kmOfChord2(c2 float64) float64 {
	return 2 * earthKm * math.Asin(math.Min(1, math.Sqrt(c2)/2))
}

// chord2OfKm is the squared chord of a great-circle distance.
func chord2OfKm(km float64) float64 {
	if km >= math.Pi*earthKm {
		return 4
	}
	c := 2 * math.Sin(km/(2*earthKm))
	return c * c
}

// near is how close a squared chord must be to a bound (relatively) to be settled by the
// distance itself rather than the chord: the two round-trip through trigonometry.
const near = 1e-9

// within returns a test of whether document n is within km of p: by the chord, except
// when it is too close to the bound to tell, by the distance shown.
func (ix *Index) within(p point, km float64) func(n uint32) bool {
	lim := chord2OfKm(km)
	lo, hi := lim*(1-near), lim*(1+near)
	return func(n uint32) bool {
		q := ix.places[n]
		if q == (point{}) {
			return false
		}
		switch c2 := p.chord2(q); {
		case c2 <= lo:
			return true
		case c2 > hi:
			return false
		default:
			return kmOfChord2(c2) <= km
		}
	}
}

// Places: a grid of cellDegrees; a radius search reads the cells its circle touches.
const cellDegrees = 0.5

func cellOf(lat, lng float64) int64 {
	return int64(math.Floor((lat+90)/cellDegrees))<<16 | int64(math.Floor((lng+180)/cellDegrees))
}

// cover returns the documents in the cells a circle touches, or nil when the circle is
// too large for cells to narrow anything (then every placed document is tested).
func (ix *Index) cover(lat, lng, km float64) *roaring.Bitmap {
	dlat := km / 111.2
	cos := math.Cos(lat * math.Pi / 180)
	if cos < 0.05 || lat-dlat < -90 || lat+dlat > 90 {
		return nil
	}
	dlng := dlat / cos
	if dlng >= 180 {
		return nil
	}
	r0, r1 := math.Floor((lat-dlat+90)/cellDegrees), math.Floor((lat+dlat+90)/cellDegrees)
	c0, c1 := math.Floor((lng-dlng+180)/cellDegrees), math.Floor((lng+dlng+180)/cellDegrees)
	if (r1-r0+1)*(c1-c0+1) > 400 {
		return nil
	}
	var cells []*roaring.Bitmap
	cols := int64(math.Floor(360 / cellDegrees))
	for r := int64(r0); r <= int64(r1); r++ {
		for c := int64(c0); c <= int64(c1); c++ {
			if b, ok := ix.cells[r<<16|((c%cols+cols)%cols)]; ok {
				cells = append(cells, b)
			}
		}
	}
	return roaring.FastOr(cells...)
}

// nearest returns the limit documents of b nearest (lat, lng), nearest first. Many
// matches are read ring by ring of cells around the point, until no farther ring can hold
// a nearer one; few are all measured.
func (ix *Index) nearest(b *roaring.Bitmap, lat, lng float64, limit int, after *Cursor) []Hit {
	top := newNearTop(limit, after)
	p := pointOf(lat, lng)
	if b.GetCardinality() <= 20_000 {
		ix.measure(b, p, top)
		return top.hits(ix)
	}
	r0, c0 := int64(math.Floor((lat+90)/cellDegrees)), int64(math.Floor((lng+180)/cellDegrees))
	cols := int64(math.Floor(360 / cellDegrees))
	const maxRings = 60
	for k := int64(0); k <= maxRings; k++ {
		// Every point of ring k is at least k-1 cells away in latitude or longitude.
		if top.full() && k > 1 {
			far := math.Min(90, math.Abs(lat)+float64(k+1)*cellDegrees)
			if bound := float64(k-1) * cellDegrees * 111.2 * math.Cos(far*math.Pi/180); bound > top.worst() {
				return top.hits(ix)
			}
		}
		for r := r0 - k; r <= r0+k; r++ {
			for c := c0 - k; c <= c0+k; c++ {
				if max(abs(r-r0), abs(c-c0)) != k {
					continue
				}
				if cell, ok := ix.cells[r<<16|((c%cols+cols)%cols)]; ok {
					ix.measure(roaring.And(cell, b), p, top)
				}
			}
		}
	}
	// The rings reached no bound (near a pole, or matches far away): measure them all.
	top = newNearTop(limit, after)
	ix.measure(b, p, top)
	return top.hits(ix)
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// measure offers every placed document of b to top.
func (ix *Index) measure(b *roaring.Bitmap, p point, top *nearTop) {
	it := b.ManyIterator()
	buf := make([]uint32, 256)
	for n := it.NextMany(buf); n > 0; n = it.NextMany(buf) {
		for _, m := range buf[:n] {
			if q := ix.places[m]; q != (point{}) {
				top.offer(ix, m, p.chord2(q))
			}
		}
	}
}

// nearTop keeps the limit nearest documents seen after the cursor, nearest first (by the
// distance shown, then id). The chord turns away most documents before their distance is
// worked out.
type nearTop struct {
	limit   int
	after   *Cursor
	afterC2 float64
	top     []nearDoc
}

type nearDoc struct {
	n  uint32
	id int64
	c2 float64
	km float64
}

func newNearTop(limit int, after *Cursor) *nearTop {
	t := &nearTop{limit: limit, after: after}
	if after != nil {
		t.afterC2 = chord2OfKm(after.Km)
	}
	return t
}

func (a nearDoc) before(b nearDoc) bool { return a.km < b.km || a.km == b.km && a.id < b.id }

func (t *nearTop) full() bool     { return len(t.top) == t.limit }
func (t *nearTop) worst() float64 { return t.top[len(t.top)-1].km }

// offer considers document n at squared chord c2.
func (t *nearTop) offer(ix *Index, n uint32, c2 float64) {
	if t.full() && c2 > t.top[len(t.top)-1].c2*(1+near) || t.after != nil && c2 < t.afterC2*(1-near) {
		return
	}
	x := nearDoc{n: n, id: ix.docs[n].id, c2: c2, km: kmOfChord2(c2)}
	if t.after != nil && !(nearDoc{km: t.after.Km, id: t.after.ID}).before(x) || t.full() && !x.before(t.top[len(t.top)-1]) {
		return
	}
	i, _ := slices.BinarySearchFunc(t.top, x, func(e, x nearDoc) int {
		if e.before(x) {
			return -1
		}
		return 1
	})
	t.top = slices.Insert(t.top, i, x)
	if len(t.top) > t.limit {
		t.top = t.top[:t.limit]
	}
}

func (t *nearTop) hits(ix *Index) []Hit {
	hits := make([]Hit, len(t.top))
	for i, x := range t.top {
		d := ix.docs[x.n]
		hits[i] = Hit{ID: d.id, Starts: d.starts, DistanceKm: &x.km}
	}
	return hits
}
