package retrain

import (
	"cmp"
	"fmt"
	"strings"
	"time"
)

// The quality gate: a candidate is promoted only if its blend beats popularity on the
// time-based holdout (a personalised model that cannot beat the same list for everyone
// has not earned its cost) and is at least as good as the live model on the held-out
// interactions the live model never saw. Judged on the older ones, which it trained on,
// the live model would win by remembering.
const (
	// minEvalUsers is how many users with held-out interactions it takes to judge a
	// model at all.
	minEvalUsers = 10
	// minLiveUsers is how many users with held-out interactions since the live model was
	// trained it takes to judge the candidate against it; with fewer, popularity alone is
	// the bar.
	minLiveUsers = 20
)

// Gate is the gate's evidence and verdict, as stored in a version's metrics.
type Gate struct {
	// Users are those evaluated on the holdout (each user's last interactions).
	Users int `json:"users"`
	// Candidate and Popularity are NDCG@10 of the candidate's blend and of popularity
	// alone on it.
	Candidate  float64 `json:"candidate_ndcg"`
	Popularity float64 `json:"popularity_ndcg"`
	// The live model, when there is one, judged against the candidate on the held-out
	// interactions since it was trained (LiveUsers users); LiveNDCG and CandidateSinceLive
	// are set only when there were enough.
	LiveVersion        int64      `json:"live_version,omitempty"`
	LiveTrainedAt      *time.Time `json:"live_trained_at,omitempty"`
	LiveUsers          int        `json:"live_users"`
	LiveNDCG           *float64   `json:"live_ndcg,omitempty"`
	CandidateSinceLive *float64   `json:"candidate_ndcg_since_live,omitempty"`
	// ComparedWith says what the candidate had to beat: "live and popularity",
	// "popularity" or "nothing" (too little data to evaluate).
	ComparedWith string `json:"compared_with"`
	Note         string `json:"note,omitempty"`
	Promote      bool   `json:"promote"`
	Reason       string `json:"reason"`
}

// decide fills in the verdict: whether to promote, and why in a sentence a person reads
// in the job's log and the models endpoint.
func (g *Gate) decide() {
	live := g.LiveVersion != 0
	switch {
	case g.Users < minEvalUsers:
		g.ComparedWith = "nothing"
		short := fmt.Sprintf("only %d users have held-out interactions (each user's last 2, from users with at least 3), fewer than %d: too little data to evaluate",
			g.Users, minEvalUsers)
		if live {
			g.Promote, g.Reason = false, short+"; live version "+fmt.Sprint(g.LiveVersion)+" stays"
			return
		}
		// Nothing is live: the service has no model at all, and any model beats none (a
		// new installation, a small demo). The first model is promoted unjudged; the
		// next runs judge its successors.
		g.Promote, g.Reason = true, short+"; promoted unevaluated as the first model (nothing live to protect)"
		return
	case !live:
		g.ComparedWith = "popularity"
	case g.LiveNDCG == nil:
		g.ComparedWith = "popularity"
		g.Note = cmp.Or(g.Note, fmt.Sprintf("compared with popularity only: %d users have held-out interactions since live version %d was trained, fewer than %d",
			g.LiveUsers, g.LiveVersion, minLiveUsers))
	default:
		g.ComparedWith = "live and popularity"
	}
	var failed, passed []string
	if g.Candidate > g.Popularity {
		passed = append(passed, fmt.Sprintf("beats popularity %.3f", g.Popularity))
	} else {
		failed = append(failed, fmt.Sprintf("does not beat popularity %.3f", g.Popularity))
	}
	if g.LiveNDCG != nil {
		since := fmt.Sprintf("on the %d users with held-out interactions since live version %d was trained %.3f",
			g.LiveUsers, g.LiveVersion, *g.CandidateSinceLive)
		if *g.CandidateSinceLive >= *g.LiveNDCG {
			passed = append(passed, fmt.Sprintf("%s matches or beats its %.3f", since, *g.LiveNDCG))
		} else {
			failed = append(failed, fmt.Sprintf("%s is below its %.3f", since, *g.LiveNDCG))
		}
	}
	head := fmt.Sprintf("NDCG@10 %.3f on %d users ", g.Candidate, g.Users)
	g.Promote = len(failed) == 0
	if g.Promote {
		g.Reason = head + strings.Join(passed, ", and ")
	} else {
		g.Reason = head + strings.Join(failed, ", and ")
	}
	switch {
	case g.Note != "":
		g.Reason += "; " + g.Note
	case !live:
		g.Reason += "; no live model yet"
	}
}
