package seed

import (
	"bytes"
	"strings"
	"testing"
)

// Where the output is not a terminal, a run of 100,000 rows added one by one writes a
// handful of plain lines, not a bar redrawn per update.
func TestProgressWritesPlainLinesWhenNotATerminal(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out, 100_000, "seeding")
	for range 100_000 {
		p.Add(1)
	}
	p.Finish()
	p.Finish()

	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	// One per 10 % (the last one at 100 %), and the final line; a slow machine may add
	// a few five-second lines.
	if len(lines) < 11 || len(lines) > 30 {
		t.Fatalf("got %d lines, want 11 (one per 10 %% and one at the end):\n%s", len(lines), out.String())
	}
	if strings.ContainsAny(out.String(), "\r\x1b") {
		t.Errorf("output has carriage returns or escape codes, want plain lines:\n%q", out.String())
	}
	if want := "seeding: 10000/100000 (10%)"; !strings.HasPrefix(lines[0], want) {
		t.Errorf("first line = %q, want it to start with %q", lines[0], want)
	}
	if want := "seeding: 100000/100000 (100%)"; !strings.HasPrefix(lines[len(lines)-1], want) {
		t.Errorf("last line = %q, want it to start with %q", lines[len(lines)-1], want)
	}
}

func TestProgressSilentForShortRunsAndNoWriter(t *testing.T) {
	var out bytes.Buffer
	for _, p := range []*progress{newProgress(&out, 100, "seeding"), newProgress(nil, 100_000, "seeding")} {
		for range 100 {
			p.Add(1)
		}
		p.Finish()
	}
	if out.Len() != 0 {
		t.Errorf("wrote %q, want nothing", out.String())
	}
}
