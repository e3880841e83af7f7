package seed

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Plain progress lines, where the output is not a terminal, come this often at most...
const (
	progressEvery   = 5 * time.Second
	progressPercent = 10 // ...or at every this many percent done, whichever comes first.
)

// progress reports a long run: a bar on a terminal; elsewhere (a log file, a pipe, CI) a
// bar would write a line per update, so plain lines come every progressEvery or
// progressPercent, and one at the end. A nil writer or a short run reports nothing.
type progress struct {
	bar *progressbar.ProgressBar // on a terminal

	w            io.Writer // plain lines otherwise
	desc         string
	total, done  int
	start, last  time.Time
	nextFraction int // the next multiple of progressPercent to report
}

func newProgress(w io.Writer, total int, desc string) *progress {
	if w == nil || total < 20_000 { // only where a run takes long enough to watch
		return &progress{}
	}
	if isTerminal(w) {
		return &progress{bar: progressbar.NewOptions(total, progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(desc), progressbar.OptionShowCount(), progressbar.OptionShowIts(),
			progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())}
	}
	now := time.Now()
	return &progress{w: w, desc: desc, total: total, start: now, last: now, nextFraction: progressPercent}
}

// isTerminal reports whether w is a terminal (a character device, as a tty is).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Add records n more rows done.
func (p *progress) Add(n int) {
	switch {
	case p.bar != nil:
		_ = p.bar.Add(n)
	case p.w != nil:
		p.done += n
		pct := p.done * 100 / p.total
		if now := time.Now(); pct >= p.nextFraction || now.Sub(p.last) >= progressEvery {
			p.line(now)
			p.nextFraction = (pct/progressPercent + 1) * progressPercent
		}
	}
}

// Finish ends the bar, or writes the last line.
func (p *progress) Finish() {
	switch {
	case p.bar != nil:
		_ = p.bar.Finish()
	case p.w != nil && p.done > 0:
		p.line(time.Now())
		p.w = nil // once
	}
}

func (p *progress) line(now time.Time) {
	p.last = now
	elapsed := now.Sub(p.start)
	rate := float64(p.done) / max(elapsed.Seconds(), 1e-3)
	fmt.Fprintf(p.w, "%s: %d/%d (%d%%), %.0f/s, %s\n", p.desc, p.done, p.total, p.done*100/p.total, rate, elapsed.Round(time.Second))
}
