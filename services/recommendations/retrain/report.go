package retrain

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/events-platform/events-platform/services/recommendations/model"
)

// Score is one model's quality on a holdout and how long it took to train.
type Score struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	NDCG      float64 `json:"ndcg"`
	Coverage  float64 `json:"coverage"`
	Users     int     `json:"users"`
	Seconds   float64 `json:"seconds"`
}

func scoreOf(m model.Metrics, took time.Duration) Score {
	return Score{Precision: m.Precision, Recall: m.Recall, NDCG: m.NDCG, Coverage: m.Coverage, Users: m.Users, Seconds: took.Seconds()}
}

// blendName is the hybrid's row in tables and metrics.
const blendName = "blend"

// printTable writes one row per model: the hybrid's components in their order, then any
// other model, then the blend.
func printTable(w io.Writer, k int, scores map[string]Score) {
	var names []string
	for _, c := range model.Components {
		if _, ok := scores[string(c)]; ok {
			names = append(names, string(c))
		}
	}
	var others []string
	for name := range scores {
		if name != blendName && !slices.Contains(model.Components, model.Component(name)) {
			others = append(others, name)
		}
	}
	sort.Strings(others)
	names = append(names, others...)
	if _, ok := scores[blendName]; ok {
		names = append(names, blendName)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "model\tP@%d\tR@%d\tNDCG@%d\tcoverage\tseconds\n", k, k, k)
	for _, name := range names {
		s := scores[name]
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t%.3f\t%6.2f\n", name, s.Precision, s.Recall, s.NDCG, s.Coverage, s.Seconds)
	}
	tw.Flush()
}

// formatWeights is a blend's weights in the components' order.
func formatWeights(w model.Weights) string {
	var parts []string
	for _, c := range model.Components {
		if v, ok := w[c]; ok {
			parts = append(parts, fmt.Sprintf("%s %.2f", c, v))
		}
	}
	return strings.Join(parts, ", ")
}

// stopwatch times each component model.Train trains and prints a line as each starts:
// the progress of a run that takes seconds to minutes, in a CronJob's log as on a terminal.
type stopwatch struct {
	w     io.Writer
	phase string
	now   func() time.Time
	cur   model.Component
	start time.Time
	began time.Time
	took  map[model.Component]time.Duration
}

func newStopwatch(w io.Writer, phase string) *stopwatch {
	return &stopwatch{w: w, phase: phase, now: time.Now, took: map[model.Component]time.Duration{}}
}

// progress meets model.Config.Progress.
func (s *stopwatch) progress(c model.Component, step, steps int) {
	now := s.now()
	if s.began.IsZero() {
		s.began = now
	}
	s.lap(now)
	s.cur, s.start = c, now
	fmt.Fprintf(s.w, "%s: [%d/%d] training %s\n", s.phase, step, steps, c)
}

func (s *stopwatch) lap(now time.Time) {
	if s.cur != "" {
		s.took[s.cur] += now.Sub(s.start)
		s.cur = ""
	}
}

// done ends the last component's time and returns the whole training's.
func (s *stopwatch) done() time.Duration {
	now := s.now()
	s.lap(now)
	if s.began.IsZero() {
		return 0
	}
	return now.Sub(s.began)
}

// days writes a duration of whole days as days (720h is "30 days"), others as Go does.
func days(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d == 0:
		return "none"
	case d%day == 0:
		return fmt.Sprintf("%d days", d/day)
	}
	return d.String()
}
