package model

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// maxMovieLensLine is the longest line ReadMovieLens accepts: a MovieLens line is four
// numbers (about 30 bytes), so anything much longer is not one, and refusing it keeps a
// hostile file from making the reader buffer it whole.
const maxMovieLensLine = 1 << 10

// movieLensHeader is the header line of the CSV files (ml-latest, ml-25m), skipped.
const movieLensHeader = "userId,movieId,rating,timestamp"

// ReadMovieLens reads ratings in a MovieLens format: user id, item id, rating and Unix
// time on each line, separated by tabs (ml-100k's u.data), by "::" (ml-1m's ratings.dat)
// or by commas (ml-latest's ratings.csv, whose header line is skipped). The separator is
// that of the first line; blank lines are skipped. Every rating, whatever its value, is a
// positive interaction of weight 1 (the protocol of the published MovieLens results,
// which treats every rating as a positive interaction); a pair rated twice is still one,
// at its latest time.
func ReadMovieLens(r io.Reader) (*Dataset, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, maxMovieLensLine), maxMovieLensLine)
	b := NewBuilder()
	sep := ""
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if line == 1 {
			text = strings.TrimPrefix(text, "\ufeff") // a byte-order mark, as spreadsheets write
		}
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		if sep == "" {
			sep = movieLensSeparator(text)
			if sep == "," && strings.EqualFold(strings.ReplaceAll(text, " ", ""), movieLensHeader) {
				continue
			}
		}
		user, item, at, err := parseMovieLensLine(text, sep)
		if err != nil {
			return nil, fmt.Errorf("movielens line %d: %w", line, err)
		}
		b.Add(user, item, 1, at)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("movielens line %d: longer than %d bytes", line+1, maxMovieLensLine)
		}
		return nil, fmt.Errorf("movielens line %d: %w", line+1, err)
	}
	d := b.Dataset()
	for _, es := range d.Users {
		for i := range es {
			es[i].Weight = 1
		}
	}
	return d, nil
}

// movieLensSeparator is the separator of a file whose first line is text.
func movieLensSeparator(text string) string {
	switch {
	case strings.Contains(text, "::"):
		return "::"
	case strings.Contains(text, "\t"):
		return "\t"
	case strings.Contains(text, ","):
		return ","
	}
	return "\t" // one field: the field count's error says what is wrong
}

// parseMovieLensLine parses "user sep item sep rating sep time"; the rating must be a
// finite number but is otherwise unused.
func parseMovieLensLine(text, sep string) (user, item, at int64, err error) {
	var fields [4]string
	n := 0
	for f := range strings.SplitSeq(text, sep) {
		if n < len(fields) {
			fields[n] = strings.TrimSpace(f)
		}
		n++
	}
	if n != len(fields) {
		return 0, 0, 0, fmt.Errorf("want 4 fields (user, item, rating, timestamp) separated by %q, got %d", sep, n)
	}
	id := func(name, s string) (int64, error) {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s id %q is not an integer", name, clip(s))
		}
		if v < 0 {
			return 0, fmt.Errorf("%s id %d is negative", name, v)
		}
		return v, nil
	}
	if user, err = id("user", fields[0]); err != nil {
		return 0, 0, 0, err
	}
	if item, err = id("item", fields[1]); err != nil {
		return 0, 0, 0, err
	}
	if rating, err := strconv.ParseFloat(fields[2], 64); err != nil || math.IsInf(rating, 0) || math.IsNaN(rating) {
		return 0, 0, 0, fmt.Errorf("rating %q is not a number", clip(fields[2]))
	}
	if at, err = strconv.ParseInt(fields[3], 10, 64); err != nil || at < 0 {
		return 0, 0, 0, fmt.Errorf("timestamp %q is not a Unix time in seconds", clip(fields[3]))
	}
	return user, item, at, nil
}

// clip shortens a field quoted in an error: it may be up to a line long.
func clip(s string) string {
	const n = 40
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
