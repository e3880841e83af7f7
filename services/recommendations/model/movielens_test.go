package model

import (
	"fmt"
	"io"
	"strings"
	"testing"
)

// pairs lists d's interactions as "user:item@time", in the dataset's order.
func pairs(d *Dataset) []string {
	var out []string
	for u, es := range d.Users {
		for _, e := range es {
			out = append(out, fmt.Sprintf("%d:%d@%d", d.UserIDs[u], d.ItemIDs[e.Item], e.At))
		}
	}
	return out
}

func TestReadMovieLensReadsEachFormat(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"u.data", "196\t242\t3\t881250949\n186\t302\t3\t891717742\n196\t377\t1\t878887116\n",
			[]string{"196:242@881250949", "196:377@878887116", "186:302@891717742"}},
		{"ratings.dat", "1::1193::5::978300760\n1::661::3::978302109\n",
			[]string{"1:1193@978300760", "1:661@978302109"}},
		{"ratings.csv with header", "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,0.5,964981247\n",
			[]string{"1:1@964982703", "1:3@964981247"}},
		{"csv without header", "2,7,1,5\n", []string{"2:7@5"}},
		{"csv with a byte-order mark", "\ufeffuserId,movieId,rating,timestamp\n2,7,1,5\n", []string{"2:7@5"}},
		{"CRLF, blank lines and spaces", "\r\n 5\t6\t2\t10 \r\n\r\n5\t 7\t4\t11\r\n", []string{"5:6@10", "5:7@11"}},
		{"a pair rated twice is one interaction at its latest time", "1\t2\t5\t10\n1\t2\t1\t30\n1\t2\t3\t20\n", []string{"1:2@30"}},
		{"zero ids", "0\t0\t3\t0\n", []string{"0:0@0"}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ReadMovieLens(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if got := pairs(d); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			for _, es := range d.Users {
				for _, e := range es {
					if e.Weight != 1 {
						t.Errorf("weight %v, want 1: every rating is one positive interaction", e.Weight)
					}
				}
			}
		})
	}
}

func TestReadMovieLensRefusesMalformedLines(t *testing.T) {
	good := "1\t2\t3\t4\n"
	tests := []struct {
		name, in, want string
	}{
		{"too few fields", good + "1\t2\t3\n", "line 2: want 4 fields (user, item, rating, timestamp) separated by \"\\t\", got 3"},
		{"too many fields", "1\t2\t3\t4\t5\n", "got 5"},
		{"separator changes", good + "1,2,3,4\n", "line 2: want 4 fields"},
		{"non-integer user", good + good + "x\t2\t3\t4\n", `line 3: user id "x" is not an integer`},
		{"fractional item", "1\t2.5\t3\t4\n", `line 1: item id "2.5" is not an integer`},
		{"negative user", "-1\t2\t3\t4\n", "line 1: user id -1 is negative"},
		{"negative item", "1::-2::3::4\n", "line 1: item id -2 is negative"},
		{"id overflows int64", "99999999999999999999\t2\t3\t4\n", "line 1: user id"},
		{"rating not a number", "1\t2\tgood\t4\n", `line 1: rating "good"`},
		{"rating NaN", "1\t2\tNaN\t4\n", `line 1: rating "NaN"`},
		{"timestamp not an integer", "1\t2\t3\t2024-01-01\n", `line 1: timestamp "2024-01-01"`},
		{"negative timestamp", "1\t2\t3\t-5\n", `line 1: timestamp "-5"`},
		{"empty field", "1::::3::4\n", `line 1: item id "" is not an integer`},
		{"header not on the first line", good + "userId,movieId,rating,timestamp\n", "line 2:"},
		{"a long field is quoted short", "1\t2\t3\t" + strings.Repeat("x", 900) + "\n", `line 1: timestamp "xxxxxxxx`},
		{"a line over 1 KiB", good + "1\t2\t3\t" + strings.Repeat("4", 2000) + "\n", "line 2: longer than 1024 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ReadMovieLens(strings.NewReader(tt.in))
			if err == nil {
				t.Fatalf("got %v, want an error containing %q", pairs(d), tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want it to contain %q", err, tt.want)
			}
			if len(err.Error()) > 200 {
				t.Errorf("an error of %d bytes: %.100q...", len(err.Error()), err)
			}
		})
	}
}

// A file of long lines is refused at the first, whatever follows: the reader never holds
// more than a line.
func TestReadMovieLensStopsAtTheFirstLongLine(t *testing.T) {
	r := &repeatReader{line: []byte(strings.Repeat("7", 4096) + "\n"), n: 1 << 20}
	if _, err := ReadMovieLens(r); err == nil || !strings.Contains(err.Error(), "line 1: longer than") {
		t.Fatalf("got %v, want line 1 refused as too long", err)
	}
	if r.read > 64<<10 {
		t.Errorf("read %d bytes of a hostile file before refusing it", r.read)
	}
}

// repeatReader yields line n times.
type repeatReader struct {
	line    []byte
	n, read int
	off     int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.line[r.off:])
	r.off += n
	if r.off == len(r.line) {
		r.off, r.n = 0, r.n-1
	}
	r.read += n
	return n, nil
}
