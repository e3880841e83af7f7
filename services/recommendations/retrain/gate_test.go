package retrain

import (
	"strings"
	"testing"
	"time"
)

func TestGateDecides(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	at := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name    string
		gate    Gate
		promote bool
		says    []string
	}{
		{"first run beats popularity", Gate{Users: 50, Candidate: 0.3, Popularity: 0.2}, true,
			[]string{"NDCG@10 0.300 on 50 users beats popularity 0.200", "no live model yet"}},
		{"first run ties popularity", Gate{Users: 50, Candidate: 0.2, Popularity: 0.2}, false,
			[]string{"does not beat popularity 0.200"}},
		{"beats popularity and live", Gate{Users: 50, Candidate: 0.3, Popularity: 0.2, LiveVersion: 6, LiveTrainedAt: &at,
			LiveUsers: 25, LiveNDCG: f(0.25), CandidateSinceLive: f(0.25)}, true,
			[]string{"beats popularity 0.200", "on the 25 users with held-out interactions since live version 6 was trained 0.250 matches or beats its 0.250"}},
		{"below live", Gate{Users: 50, Candidate: 0.3, Popularity: 0.2, LiveVersion: 6, LiveTrainedAt: &at,
			LiveUsers: 25, LiveNDCG: f(0.31), CandidateSinceLive: f(0.28)}, false,
			[]string{"0.280 is below its 0.310"}},
		{"too few users since live: popularity is the bar", Gate{Users: 50, Candidate: 0.3, Popularity: 0.2, LiveVersion: 6,
			LiveTrainedAt: &at, LiveUsers: 19}, true,
			[]string{"compared with popularity only: 19 users have held-out interactions since live version 6 was trained, fewer than 20"}},
		{"too little data with a live model", Gate{Users: 9, LiveVersion: 6, LiveTrainedAt: &at}, false,
			[]string{"only 9 users", "too little data to evaluate", "live version 6 stays"}},
		{"too little data and nothing live", Gate{Users: 0}, true,
			[]string{"only 0 users", "promoted unevaluated as the first model"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := tt.gate
			g.decide()
			if g.Promote != tt.promote {
				t.Errorf("promote = %v, want %v (reason %q)", g.Promote, tt.promote, g.Reason)
			}
			for _, s := range tt.says {
				if !strings.Contains(g.Reason, s) {
					t.Errorf("reason %q does not say %q", g.Reason, s)
				}
			}
		})
	}
}
