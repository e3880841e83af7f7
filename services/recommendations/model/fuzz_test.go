package model

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// FuzzReadMovieLens: whatever the input, ReadMovieLens returns an error or a dataset
// holding each distinct (user, item) pair of its lines once, with weight 1, by item.
func FuzzReadMovieLens(f *testing.F) {
	for _, seed := range []string{
		"196\t242\t3\t881250949\n186\t302\t3\t891717742\n196\t242\t1\t878887116\n",
		"1::1193::5::978300760\n1::661::3::978302109\n",
		"userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,0.5,964981247\n",
		"\r\n 5\t6\t2\t10 \r\n\r\n",
		"1\t2\t3\n",
		"-1\t2\t3\t4\n",
		"1\t2\t3\t" + strings.Repeat("9", 1100) + "\n",
		"1:::2::3::4\n",
		"\ufeffuserId,movieId,rating,timestamp\n1,2,3,4\n",
		"\ufeff1\t2\t3\t4\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ReadMovieLens(bytes.NewReader(data))
		if err != nil {
			return
		}
		want := distinctPairs(t, data)
		if d.Len() != len(want) {
			t.Fatalf("Len() = %d, want %d distinct (user, item) pairs", d.Len(), len(want))
		}
		if len(d.Users) != d.NUsers() {
			t.Fatalf("%d users' entries for %d user ids", len(d.Users), d.NUsers())
		}
		for u, es := range d.Users {
			for i, e := range es {
				if e.Item < 0 || int(e.Item) >= d.NItems() || (i > 0 && es[i-1].Item >= e.Item) || e.Weight != 1 {
					t.Fatalf("user %d's entries %v: want items in range, increasing, of weight 1", u, es)
				}
				if !want[[2]int64{d.UserIDs[u], d.ItemIDs[e.Item]}] {
					t.Fatalf("pair (%d, %d) is not in the input", d.UserIDs[u], d.ItemIDs[e.Item])
				}
			}
		}
	})
}

// distinctPairs reads the (user, item) pairs of an input ReadMovieLens accepted, by a
// cruder rule: the first two numbers of each line that is neither blank nor the header.
func distinctPairs(t *testing.T, data []byte) map[[2]int64]bool {
	out := map[[2]int64]bool{}
	first := true
	for i, line := range strings.Split(string(data), "\n") {
		if i == 0 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		header := first && strings.EqualFold(strings.ReplaceAll(line, " ", ""), movieLensHeader)
		if first = false; header {
			continue
		}
		fields := strings.FieldsFunc(line, func(r rune) bool { return r == ':' || r == ',' || unicode.IsSpace(r) })
		if len(fields) != 4 {
			t.Fatalf("accepted line %q has %d fields", line, len(fields))
		}
		user, err1 := strconv.ParseInt(strings.TrimSpace(fields[0]), 10, 64)
		item, err2 := strconv.ParseInt(strings.TrimSpace(fields[1]), 10, 64)
		if err1 != nil || err2 != nil || user < 0 || item < 0 {
			t.Fatalf("accepted line %q has ids %q, %q", line, fields[0], fields[1])
		}
		out[[2]int64{user, item}] = true
	}
	return out
}
