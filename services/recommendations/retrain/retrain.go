// Package retrain is `platform retrain`, the job the operator's CronJob runs: it reads
// what users did (analytics, favorites, registrations, feedback on recommendations) from
// PostgreSQL, trains the hybrid recommender (services/recommendations/model), evaluates
// every model and the blend on a time-based holdout, and stores the trained model as a
// new version in the registry, promoted only if it passes the quality gate (gate.go) and
// then announced on platform.model.promoted through the outbox. It also evaluates on a
// MovieLens-format file (movielens.go), to set its quality beside published figures.
package retrain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/events-platform/events-platform/internal/natsbus"
	"github.com/events-platform/events-platform/services/recommendations/model"
	"github.com/events-platform/events-platform/services/recommendations/registry"
)

// Defaults of what RETRAIN_HALF_LIFE, RETRAIN_WINDOW and the registry's pruning leave
// unsaid.
const (
	// DefaultHalfLife halves an interaction's weight every 30 days: what a user did last
	// month says more about what they want next than what they did in spring.
	DefaultHalfLife = 720 * time.Hour
	// DefaultWindow reads the last 180 days: older interactions weigh under 1/64 anyway.
	DefaultWindow = 4320 * time.Hour
	// DefaultKeep is how many versions of each status keep their model's bytes.
	DefaultKeep = 5
)

const (
	// k is the length of the lists evaluated: a page of recommendations.
	k = 10
	// holdoutN is how many of each user's last interactions the holdout takes; users
	// with no more than that keep theirs for training.
	holdoutN = 2
	// maxEvalUsers bounds the users evaluated (and tuned on): beyond a few thousand the
	// metrics move little and evaluating would take longer than training.
	maxEvalUsers = 5000
	// maxTuneUsers bounds the users the blend's weights are tuned on: the grid search
	// blends every user's candidates hundreds of times (about 10 s per 1,000 users on
	// a large catalogue), and a couple of thousand users pick the weights well enough.
	maxTuneUsers = 2000
	// tuneStep is the grid of the blend's weights (0, 0.1, ... 1).
	tuneStep = 0.1
	// storeLock serialises storing versions, so that two runs do not both pass the gate
	// against the same live model (any fixed number).
	storeLock = 7_240_031_016
)

// DefaultKNN are item-kNN's parameters when Options leave them zero.
var DefaultKNN = model.KNNParams{K: 100, Shrink: 10}

// Options say what a retraining learns from and trains.
type Options struct {
	// Models are the hybrid's components to train, every one when empty; popularity is
	// always trained.
	Models []model.Component
	// Weights weigh each kind of interaction (DefaultInteractionWeights when nil).
	Weights InteractionWeights
	// HalfLife halves an interaction's weight for every HalfLife of its age; 0 does not
	// decay.
	HalfLife time.Duration
	// Window is how far back interactions are read (DefaultWindow when 0).
	Window time.Duration
	// Seed makes sampling and ALS's initialisation repeatable.
	Seed uint64
	// KNN (DefaultKNN when zero) and ALS (the model package's defaults for zero fields)
	// are the components' parameters.
	KNN model.KNNParams
	ALS model.ALSParams
	// Evaluate trains, evaluates and prints what the gate would decide, storing nothing.
	Evaluate bool
	// Force trains even when nothing happened since the live model was trained (a run
	// with nothing new stores nothing otherwise: it would only repeat the live model).
	Force bool
	// Keep is how many versions of each status keep their bytes (DefaultKeep when 0).
	Keep int
	// Now is the moment the run learns up to (time.Now when zero): later interactions
	// wait for the next run.
	Now time.Time
	// Out receives the progress, the table and the decision (discarded when nil).
	Out io.Writer
	// Log receives warnings (discarded when nil).
	Log *slog.Logger
}

func (o *Options) defaults() {
	if o.Weights == nil {
		o.Weights = DefaultInteractionWeights()
	}
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.KNN == (model.KNNParams{}) {
		o.KNN = DefaultKNN
	}
	if o.ALS.Seed == 0 {
		o.ALS.Seed = o.Seed
	}
	if o.Keep <= 0 {
		o.Keep = DefaultKeep
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

// wants reports whether the options train component c.
func (o *Options) wants(c model.Component) bool {
	return c == model.PopularityModel || len(o.Models) == 0 || slices.Contains(o.Models, c)
}

// config is what model.Train is told. Popularity is not decayed again: every weight was
// decayed by age as it was read.
func (o *Options) config(weights model.Weights, progress func(model.Component, int, int)) model.Config {
	return model.Config{Components: o.Models, KNN: o.KNN, ALS: o.ALS, Now: o.Now.Unix(), Weights: weights, Progress: progress}
}

// Result is what a run did.
type Result struct {
	// Version is the version stored, 0 when none was (no interactions, or Evaluate).
	Version  int64
	Promoted bool
	// Reason is the gate's verdict in a sentence.
	Reason       string
	Metrics      Metrics
	Interactions int64
}

// Metrics are what a version's metrics column holds.
type Metrics struct {
	K       int     `json:"k"`
	Holdout Holdout `json:"holdout"`
	// Models are each component alone and the blend ("blend") on the holdout, trained on
	// everything before it.
	Models     map[string]Score `json:"models"`
	Validation *Validation      `json:"validation,omitempty"`
	Gate       Gate             `json:"gate"`
}

// Holdout describes the time-based holdout.
type Holdout struct {
	Split        string `json:"split"`
	Users        int    `json:"users"`
	Interactions int    `json:"interactions"`
	// Evaluated are the users sampled from Users (at most maxEvalUsers).
	Evaluated int `json:"evaluated"`
}

// Validation is where the blend's weights were tuned: each training user's last
// interaction before the holdout.
type Validation struct {
	Users int     `json:"users"`
	NDCG  float64 `json:"ndcg"`
}

// Parameters are what a version's parameters column holds: enough to train it again.
type Parameters struct {
	Models             []model.Component  `json:"models"`
	Weights            model.Weights      `json:"weights"`
	WeightsTuned       bool               `json:"weights_tuned"`
	KNN                *knnParams         `json:"itemknn,omitempty"`
	ALS                *alsParams         `json:"als,omitempty"`
	HalfLife           string             `json:"half_life"`
	Window             string             `json:"window"`
	InteractionWeights InteractionWeights `json:"interaction_weights"`
	Seed               uint64             `json:"seed"`
}

type knnParams struct {
	K      int     `json:"k"`
	Shrink float64 `json:"shrink"`
}

type alsParams struct {
	Factors    int     `json:"factors"`
	Iterations int     `json:"iterations"`
	Reg        float64 `json:"reg"`
	Alpha      float64 `json:"alpha"`
	Epsilon    float64 `json:"epsilon"`
	CGSteps    int     `json:"cg_steps"`
}

// Run retrains from the database: it reads the interactions up to opts.Now, trains and
// evaluates, and (unless opts.Evaluate) stores the model as a new version, promoted and
// announced if it passes the gate. A refusal is not an error: it is the gate working; nor
// is an empty database. Errors are failures (the database, the data).
func Run(ctx context.Context, db *pgxpool.Pool, opts Options) (Result, error) {
	opts.defaults()
	out := opts.Out
	started := time.Now()
	data, err := loadInteractions(ctx, db, opts.Weights, opts.HalfLife, opts.Window, opts.Now, opts.wants(model.ContentModel))
	if err != nil {
		return Result{}, err
	}
	d := data.set
	if d.Len() == 0 {
		fmt.Fprintf(out, "no interactions to learn from in the last %s: nothing trained, nothing stored\n", days(opts.Window))
		return Result{}, nil
	}
	fmt.Fprintf(out, "read %d interactions in %s: %d users, %d events, %d user-event pairs (window %s, half-life %s, weights %s; %d dismissed pairs left out)\n",
		data.interactions, time.Since(started).Round(time.Millisecond), d.NUsers(), d.NItems(), d.Len(),
		days(opts.Window), days(opts.HalfLife), opts.Weights, data.dismissed)

	live, liveSnap, err := registry.Live(ctx, db)
	switch {
	case errors.Is(err, registry.ErrNoModel):
	case errors.Is(err, registry.ErrUndecodable), errors.Is(err, registry.ErrPruned):
		// The live model cannot be judged (an encoding an older version wrote, say):
		// the candidate must still beat popularity, and will replace it.
		opts.Log.Warn("the live model cannot be read: the candidate is compared with popularity only", "version", live.Version, "err", err)
	case err != nil:
		return Result{}, err
	}

	if liveSnap != nil && !opts.Force && !opts.Evaluate && newest(d) <= liveSnap.TrainedAt {
		fmt.Fprintf(out, "nothing new since live version %d was trained (%s): nothing trained, nothing stored (--force retrains anyway)\n",
			live.Version, time.Unix(liveSnap.TrainedAt, 0).UTC().Format(time.RFC3339))
		return Result{Interactions: data.interactions}, nil
	}

	train, test := holdout(d, holdoutN)
	// One model trained on everything before the holdout is both tuned and judged, on
	// different users: the blend's few weights are fitted on some users' held-out
	// interactions and the models measured on the others', which costs one training
	// instead of two (one for a validation split, one for the holdout).
	tuneOn, held := splitUsers(test, maxTuneUsers, maxEvalUsers, opts.Seed)
	res := Result{Interactions: data.interactions, Metrics: Metrics{K: k, Models: map[string]Score{}}}
	m := &res.Metrics
	m.Holdout = Holdout{Split: fmt.Sprintf("each user's last %d interactions, of users with more than %d", holdoutN, holdoutN),
		Users: usersWith(test), Interactions: test.Len(), Evaluated: usersWith(held)}
	g := &m.Gate
	g.Users = m.Holdout.Evaluated
	switch {
	case liveSnap != nil:
		at := time.Unix(liveSnap.TrainedAt, 0).UTC()
		g.LiveVersion, g.LiveTrainedAt = live.Version, &at
	case live.Version != 0:
		// Nothing this build serves can read it either: judge the candidate as if none
		// were live.
		g.Note = fmt.Sprintf("live version %d cannot be read by this build: judged as if no model were live", live.Version)
	}

	weights := model.DefaultWeights()
	tuned := false
	var cand *model.Snapshot
	var candTook time.Duration
	if g.Users >= minEvalUsers {
		sw := newStopwatch(out, "training on all but the holdout")
		cand = model.Train(train, data.docs, opts.config(weights, sw.progress))
		total := sw.done()
		candTook = total
		ranker := model.NewRanker(cand, nil)
		var vndcg float64
		weights, vndcg = model.TuneWeights(ranker, train, tuneOn, k, tuneStep)
		cand.Weights = weights
		tuned = true
		m.Validation = &Validation{Users: usersWith(tuneOn), NDCG: vndcg}
		fmt.Fprintf(out, "blend weights tuned on the held-out interactions of %d other users (NDCG@%d %.3f): %s\n",
			m.Validation.Users, k, vndcg, formatWeights(weights))
		for name, metrics := range evaluate(ranker, train, held) {
			took := total
			if name != blendName {
				took = sw.took[model.Component(name)]
			}
			m.Models[name] = scoreOf(metrics, took)
		}
		fmt.Fprintf(out, "\nheld out: %s (%d users, %d interactions; %d users evaluated)\n",
			m.Holdout.Split, m.Holdout.Users, m.Holdout.Interactions, m.Holdout.Evaluated)
		printTable(out, k, m.Models)
		fmt.Fprintln(out)
		g.Candidate, g.Popularity = m.Models[blendName].NDCG, m.Models[string(model.PopularityModel)].NDCG

		if liveSnap != nil {
			recent := after(held, liveSnap.TrainedAt) // judged on the users the blend was not tuned on
			g.LiveUsers = usersWith(recent)
			if g.LiveUsers >= minLiveUsers {
				liveM := model.Evaluate(&model.RankerScorer{Ranker: model.NewRanker(liveSnap, nil), Train: train}, train, recent, k)
				candM := model.Evaluate(&model.RankerScorer{Ranker: ranker, Train: train}, train, recent, k)
				g.LiveNDCG, g.CandidateSinceLive = &liveM.NDCG, &candM.NDCG
			}
		}
	}
	g.decide()
	res.Promoted, res.Reason = g.Promote, g.Reason

	if opts.Evaluate {
		verdict := "refuse"
		if g.Promote {
			verdict = "promote"
		}
		fmt.Fprintf(out, "the gate would %s it: %s\n--evaluate: nothing stored\n", verdict, g.Reason)
		return res, nil
	}

	// A promoted model learns from everything, the holdout too (the newest interactions
	// matter most); a refused one is kept as it was judged.
	final, took := cand, candTook // the time of every training this run did
	if g.Promote || cand == nil {
		sw := newStopwatch(out, "final model on all interactions")
		final = model.Train(d, data.docs, opts.config(weights, sw.progress))
		took += sw.done()
	}
	params := opts.parameters(final, tuned)
	v := registry.Version{Status: registry.StatusRefused, Reason: g.Reason, Users: d.NUsers(), Items: d.NItems(),
		Interactions: data.interactions, TrainingSeconds: took.Seconds()}
	if g.Promote {
		v.Status = registry.StatusPromoted
	}
	if v.Parameters, err = json.Marshal(params); err != nil {
		return res, fmt.Errorf("encode parameters: %w", err)
	}
	if v.Metrics, err = json.Marshal(m); err != nil {
		return res, fmt.Errorf("encode metrics: %w", err)
	}
	if err := store(ctx, db, &v, final, live.Version, opts.Keep); err != nil {
		return res, err
	}
	res.Version, res.Promoted, res.Reason = v.Version, v.Status == registry.StatusPromoted, v.Reason
	if res.Promoted {
		fmt.Fprintf(out, "promoted version %d: %s\n", v.Version, v.Reason)
	} else {
		fmt.Fprintf(out, "refused: %s (kept as version %d for inspection)\n", v.Reason, v.Version)
	}
	fmt.Fprintf(out, "done in %s\n", time.Since(started).Round(time.Millisecond))
	return res, nil
}

// store writes v with its snapshot in one transaction with, when it is promoted, its
// announcement, and prunes old versions' bytes. v's gate was judged against the live
// version gatedAgainst (0: none); if another run promoted since, v is refused instead: it
// was not judged against what is live now.
func store(ctx context.Context, db *pgxpool.Pool, v *registry.Version, snap *model.Snapshot, gatedAgainst int64, keep int) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("store model: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit it does nothing
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(storeLock)); err != nil {
		return fmt.Errorf("store model: %w", err)
	}
	var current *int64
	if err := tx.QueryRow(ctx, `SELECT max(version) FROM recommendation_models WHERE status = 'promoted'`).Scan(&current); err != nil {
		return fmt.Errorf("store model: %w", err)
	}
	if now := valueOr(current); v.Status == registry.StatusPromoted && now != gatedAgainst {
		v.Status = registry.StatusRefused
		v.Reason = fmt.Sprintf("version %d was promoted while this run trained, and this model was judged against %s: %s",
			now, describeLive(gatedAgainst), v.Reason)
	}
	if v.Version, err = registry.Insert(ctx, tx, *v, snap); err != nil {
		return err
	}
	if v.Status == registry.StatusPromoted {
		msg := registry.Promoted{Version: v.Version, TrainedAt: time.Unix(snap.TrainedAt, 0).UTC(), Metrics: v.Metrics}
		if err := natsbus.Enqueue(ctx, tx, registry.SubjectModelPromoted, msg); err != nil {
			return fmt.Errorf("store model: %w", err)
		}
	}
	if err := registry.Prune(ctx, tx, keep); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("store model: %w", err)
	}
	return nil
}

func valueOr(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func describeLive(version int64) string {
	if version == 0 {
		return "no live model"
	}
	return fmt.Sprintf("version %d", version)
}

// parameters describes how final was trained.
func (o *Options) parameters(final *model.Snapshot, tuned bool) Parameters {
	p := Parameters{Weights: final.Weights, WeightsTuned: tuned, HalfLife: o.HalfLife.String(), Window: o.Window.String(),
		InteractionWeights: o.Weights, Seed: o.Seed}
	r := model.NewRanker(final, nil)
	for _, c := range model.Components {
		if r.Has(c) {
			p.Models = append(p.Models, c)
		}
	}
	if r.Has(model.KNNModel) {
		p.KNN = &knnParams{K: o.KNN.K, Shrink: o.KNN.Shrink}
	}
	if a := final.ALS; a != nil {
		p.ALS = &alsParams{Factors: a.Params.Factors, Iterations: a.Params.Iterations, Reg: a.Params.Reg, Alpha: a.Params.Alpha,
			Epsilon: a.Params.Epsilon, CGSteps: a.Params.CGSteps}
	}
	return p
}

// newest is the time (Unix seconds) of d's latest interaction.
func newest(d *model.Dataset) int64 {
	var t int64
	for _, es := range d.Users {
		for _, e := range es {
			t = max(t, e.At)
		}
	}
	return t
}

// splitUsers deals the users with held-out interactions at random (from seed) into two
// disjoint sets: at most nTune to tune the blend on, at most nEval to judge the models on,
// half each when there are fewer.
func splitUsers(test *model.Dataset, nTune, nEval int, seed uint64) (tune, eval *model.Dataset) {
	var users []int
	for u, es := range test.Users {
		if len(es) > 0 {
			users = append(users, u)
		}
	}
	rng := rand.New(rand.NewPCG(seed, 11))
	rng.Shuffle(len(users), func(i, j int) { users[i], users[j] = users[j], users[i] })
	cut := min(nTune, len(users)/2)
	empty := func() *model.Dataset {
		return &model.Dataset{Users: make([][]model.Entry, len(test.Users)), UserIDs: test.UserIDs, ItemIDs: test.ItemIDs}
	}
	tune, eval = empty(), empty()
	for i, u := range users {
		switch {
		case i < cut:
			tune.Users[u] = test.Users[u]
		case i < cut+nEval:
			eval.Users[u] = test.Users[u]
		}
	}
	return tune, eval
}

// holdout holds out each user's last n interactions for testing; users with no more than
// n keep them all for training (a user with one interaction left to learn from says
// little about how a model ranks).
func holdout(d *model.Dataset, n int) (train, test *model.Dataset) {
	train, test = model.SplitLast(d, n)
	for u, es := range d.Users {
		if len(es) <= n {
			train.Users[u], test.Users[u] = es, nil
		}
	}
	return train, test
}

// after keeps test's entries later than at (Unix seconds).
func after(test *model.Dataset, at int64) *model.Dataset {
	out := &model.Dataset{Users: make([][]model.Entry, len(test.Users)), UserIDs: test.UserIDs, ItemIDs: test.ItemIDs}
	for u, es := range test.Users {
		for _, e := range es {
			if e.At > at {
				out.Users[u] = append(out.Users[u], e)
			}
		}
	}
	return out
}

// usersWith counts the users with entries in d.
func usersWith(d *model.Dataset) int {
	n := 0
	for _, es := range d.Users {
		if len(es) > 0 {
			n++
		}
	}
	return n
}

// evaluate measures each of r's components alone and the blend (blendName) on test, a
// few at once: each evaluation has its own scorer over the one read-only ranker.
func evaluate(r *model.Ranker, train, test *model.Dataset) map[string]model.Metrics {
	names := model.NewHybridScorer(r, train).Models()
	results := model.EvaluateAll(func() model.MultiScorer { return model.NewHybridScorer(r, train) },
		len(names), runtime.GOMAXPROCS(0), train, test, k)
	out := make(map[string]model.Metrics, len(names))
	for i, c := range names {
		name := string(c)
		if c == "" {
			name = blendName
		}
		out[name] = results[i]
	}
	return out
}
