package retrain

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/events-platform/events-platform/services/recommendations/model"
)

// MovieLens mode (`platform retrain --dataset movielens:PATH --evaluate`) sets the
// models' quality beside published figures: the protocol of Gorse's benchmark and
// Recommenders.jl's (every rating a positive interaction, 80/20 at random per
// interaction, all items the user has not rated in training ranked, top 10). The blend's
// weights are tuned on a split of the training part, never on the test part. There is no
// text, so no content model; nothing is stored.

// extraModels are models evaluated in MovieLens mode beside the hybrid's components,
// each trained alone on the training split: add one here (EASE, BPR...) to see it in the
// table. The hybrid neither blends nor serves them.
var extraModels = []struct {
	name  string
	train func(train *model.Dataset, seed uint64) (model.Scorer, error)
}{
	// EASE, the linear item model the published numbers set highest: its λ chosen on a
	// validation split of the training ratings. It refuses catalogues over 10,000 items.
	{"ease", func(train *model.Dataset, seed uint64) (model.Scorer, error) {
		fit, valid := model.SplitRandom(train, movieLensTestShare, seed+2)
		grid := []model.EASEParams{{Lambda: 300}, {Lambda: 800}, {Lambda: 1600}}
		best, _, ok := model.Tune(fit, valid, k, grid, func(d *model.Dataset, p model.EASEParams) model.Scorer {
			m, err := model.TrainEASE(d, p)
			if err != nil {
				return nil
			}
			return m
		})
		if !ok {
			return nil, model.ErrTooManyItems
		}
		return model.TrainEASE(train, best)
	}},
	// BPR with its defaults: it ties ALS here at several times the cost, so the hybrid
	// does not train it.
	{"bpr", func(train *model.Dataset, seed uint64) (model.Scorer, error) {
		return model.TrainBPR(train, model.BPRParams{Seed: seed}), nil
	}},
}

// movieLensTestShare is the share of ratings held out (and of the training ratings held
// out again to tune the blend on).
const movieLensTestShare = 0.2

// Evaluation is what EvaluateMovieLens measured.
type Evaluation struct {
	Users, Items, Ratings int
	// Weights are the blend's, tuned on the validation split (NDCG@10 ValidationNDCG).
	Weights        model.Weights
	ValidationNDCG float64
	// Models are each model's scores on the test split, the blend's as blendName.
	Models map[string]Score
}

// EvaluateMovieLens reads ratings in a MovieLens format from r and evaluates every model
// of opts.Models (but content) and the blend on them, printing the table to opts.Out.
func EvaluateMovieLens(ctx context.Context, r io.Reader, opts Options) (Evaluation, error) {
	opts.defaults()
	out := opts.Out
	started := time.Now()
	d, err := model.ReadMovieLens(r)
	if err != nil {
		return Evaluation{}, err
	}
	ev := Evaluation{Users: d.NUsers(), Items: d.NItems(), Ratings: d.Len(), Models: map[string]Score{}}
	if ev.Ratings == 0 {
		return ev, fmt.Errorf("no ratings in the dataset")
	}
	fmt.Fprintf(out, "read %d ratings of %d users on %d items in %s\n", ev.Ratings, ev.Users, ev.Items, time.Since(started).Round(time.Millisecond))
	opts.Models = slices.DeleteFunc(slices.Clone(opts.Models), func(c model.Component) bool { return c == model.ContentModel })
	if len(opts.Models) == 0 {
		opts.Models = []model.Component{model.PopularityModel, model.KNNModel, model.ALSModel}
	}

	train, test := model.SplitRandom(d, movieLensTestShare, opts.Seed)
	fit, valid := model.SplitRandom(train, movieLensTestShare, opts.Seed+1)
	sw := newStopwatch(out, "tuning")
	fitSnap := model.Train(fit, nil, opts.config(nil, sw.progress))
	sw.done()
	if err := ctx.Err(); err != nil {
		return ev, err
	}
	ev.Weights, ev.ValidationNDCG = model.TuneWeights(model.NewRanker(fitSnap, nil), fit,
		model.SampleUsers(valid, maxTuneUsers, opts.Seed+1), k, tuneStep)

	sw = newStopwatch(out, "evaluation")
	snap := model.Train(train, nil, opts.config(ev.Weights, sw.progress))
	total := sw.done()
	if err := ctx.Err(); err != nil {
		return ev, err
	}
	held := model.SampleUsers(test, maxEvalUsers, opts.Seed)
	for name, m := range evaluate(model.NewRanker(snap, nil), train, held) {
		took := total
		if name != blendName {
			took = sw.took[model.Component(name)]
		}
		ev.Models[name] = scoreOf(m, took)
	}
	for _, x := range extraModels {
		if err := ctx.Err(); err != nil {
			return ev, err
		}
		fmt.Fprintf(out, "evaluation: training %s\n", x.name)
		start := time.Now()
		scorer, err := x.train(train, opts.Seed)
		if err != nil {
			return ev, fmt.Errorf("train %s: %w", x.name, err)
		}
		ev.Models[x.name] = scoreOf(model.Evaluate(scorer, train, held, k), time.Since(start))
	}

	fmt.Fprintf(out, "\nheld out: %.0f%% of the ratings at random (seed %d), %d users evaluated, every item a user did not rate in training ranked\n",
		movieLensTestShare*100, opts.Seed, usersWith(held))
	printTable(out, k, ev.Models)
	fmt.Fprintf(out, "\nblend weights, tuned on %.0f%% of the training ratings (NDCG@%d %.3f there): %s\n",
		movieLensTestShare*100, k, ev.ValidationNDCG, formatWeights(ev.Weights))
	fmt.Fprintf(out, "--evaluate: nothing stored; done in %s\n", time.Since(started).Round(time.Millisecond))
	return ev, nil
}
