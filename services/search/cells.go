package search

import "math"

// Places are numbered on a latitude/longitude grid at four sizes: size << 28 | row << 14 |
// column, with row = floor((lat + 90) / size) and column = floor((lng + 180) / size). The
// numbering is written twice, and the two must agree (TestCellsAreNumberedAsInTheDatabase):
// here (cellAt), for the cells a search asks for, and in SQL, the function geo_cells of
// migration 0005_search_words_and_cells, for the cells each event is in (the generated column
// event_search.cells, whose element i is the cell of cellSizes[i-1]).
var cellSizes = [...]float64{0.1, 0.4, 1.6, 6.4}

// maxCoverCells bounds the cells a radius search asks the index for.
const maxCoverCells = 12

// earthRadius is the sphere of earthdistance's <@> operator (3958.747716 miles), in metres.
const earthRadius = 6370997.0

func cellID(size, row, col int) int32 { return int32(size<<28 | row<<14 | col) }

// rowCol returns the row and column of the cell of size index size that holds (lat, lng).
func rowCol(size int, lat, lng float64) (row, col int) {
	s := cellSizes[size]
	return int(math.Floor((lat + 90) / s)), int(math.Floor((lng + 180) / s))
}

// cellAt returns the cell of size index size that holds (lat, lng), as geo_cells numbers it.
func cellAt(size int, lat, lng float64) int32 {
	row, col := rowCol(size, lat, lng)
	return cellID(size, row, col)
}

// cover returns cells of one size that together hold every point within radius metres of
// (lat, lng): those of the finest size that needs at most maxCoverCells. ok is false when
// the circle reaches a pole or the antimeridian, or is too large for any size; the caller
// then filters by distance alone.
func cover(lat, lng, radius float64) (cells []int32, ok bool) {
	for size := range cellSizes {
		if cells, ok := coverAt(size, lat, lng, radius, maxCoverCells); ok {
			return cells, true
		}
	}
	return nil, false
}

// coverAt returns the cells of the given size that together hold every point within
// radius metres of (lat, lng), when there are at most most of them and the circle reaches
// neither a pole nor the antimeridian.
func coverAt(size int, lat, lng, radius float64, most int) (cells []int32, ok bool) {
	d := radius / earthRadius * 1.01 // angular radius, with room for rounding
	dlat := d * 180 / math.Pi
	sinLng := math.Sin(d) / math.Cos(lat*math.Pi/180)
	if lat-dlat <= -90 || lat+dlat >= 90 || d >= math.Pi/2 || sinLng >= 1 {
		return nil, false
	}
	dlng := math.Asin(sinLng) * 180 / math.Pi
	if lng-dlng < -180 || lng+dlng >= 180 {
		return nil, false
	}
	// Division and floor never decrease as their argument grows, so every point whose
	// coordinates lie in the box falls in a cell between these corners.
	r0, c0 := rowCol(size, lat-dlat, lng-dlng)
	r1, c1 := rowCol(size, lat+dlat, lng+dlng)
	if (r1-r0+1)*(c1-c0+1) > most {
		return nil, false
	}
	for r := r0; r <= r1; r++ {
		for c := c0; c <= c1; c++ {
			cells = append(cells, cellID(size, r, c))
		}
	}
	return cells, true
}
