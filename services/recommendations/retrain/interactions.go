package retrain

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/events-platform/events-platform/services/recommendations/model"
)

// Kinds are the interactions training learns from, in the order RETRAIN_WEIGHTS lists
// them: views, clicks and shares as signed-in users' clients sent them to analytics,
// favorites and registrations as the events tables hold them now.
var Kinds = []string{"view", "click", "share", "favorite", "register"}

// InteractionWeights are how much each kind of interaction says about a user's taste.
type InteractionWeights map[string]float64

// DefaultInteractionWeights are what a registration says against a view: a view is a
// glance, a registration a commitment.
func DefaultInteractionWeights() InteractionWeights {
	return InteractionWeights{"view": 1, "click": 2, "share": 2, "favorite": 3, "register": 5}
}

// String is w as ParseInteractionWeights reads it.
func (w InteractionWeights) String() string {
	parts := make([]string, 0, len(Kinds))
	for _, k := range Kinds {
		parts = append(parts, k+"="+strconv.FormatFloat(w[k], 'g', -1, 64))
	}
	return strings.Join(parts, ",")
}

// maxInteractionWeight bounds a weight: beyond it one interaction would drown a user's
// whole history, which is a typo rather than a choice.
const maxInteractionWeight = 1000

// ParseInteractionWeights reads "view=1,click=2,...": the kinds named take the weight
// given, the others keep their default; a weight of 0 leaves that kind out. Empty is the
// defaults.
func ParseInteractionWeights(s string) (InteractionWeights, error) {
	w := DefaultInteractionWeights()
	seen := map[string]bool{}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		kind, value, ok := strings.Cut(part, "=")
		kind, value = strings.ToLower(strings.TrimSpace(kind)), strings.TrimSpace(value)
		if !ok {
			return nil, fmt.Errorf("%q: want kind=weight, e.g. view=1,register=5", part)
		}
		if !slices.Contains(Kinds, kind) {
			return nil, fmt.Errorf("%q: unknown interaction %q, want one of %s", part, kind, strings.Join(Kinds, ", "))
		}
		if seen[kind] {
			return nil, fmt.Errorf("%q: %s given twice", part, kind)
		}
		seen[kind] = true
		v, err := strconv.ParseFloat(value, 64)
		if err != nil || math.IsNaN(v) || v < 0 || v > maxInteractionWeight {
			return nil, fmt.Errorf("%q: weight %q is not a number from 0 to %d", part, value, maxInteractionWeight)
		}
		w[kind] = v
	}
	for _, v := range w {
		if v > 0 {
			return w, nil
		}
	}
	return nil, fmt.Errorf("%q: every weight is 0: nothing left to learn from", s)
}

// ParseModels reads a comma-separated list of models (RETRAIN_MODELS, --models): the
// hybrid's components to train. Empty means every one. Popularity is trained whatever the
// list says (it is what a user without history gets). Models the operator may name but
// this version does not build (bpr) come back in skipped.
func ParseModels(s string) (models []model.Component, skipped []string, err error) {
	for name := range strings.SplitSeq(s, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		switch {
		case name == "":
		case slices.Contains(model.Components, model.Component(name)):
			if !slices.Contains(models, model.Component(name)) {
				models = append(models, model.Component(name))
			}
		case slices.Contains(notBuilt, name):
			if !slices.Contains(skipped, name) {
				skipped = append(skipped, name)
			}
		default:
			known := make([]string, 0, len(model.Components)+len(notBuilt))
			for _, c := range model.Components {
				known = append(known, string(c))
			}
			return nil, nil, fmt.Errorf("unknown model %q, want some of %s", name, strings.Join(append(known, notBuilt...), ", "))
		}
	}
	if len(models) == 0 && len(skipped) > 0 {
		// Only models this version lacks: popularity alone is what is left.
		models = []model.Component{model.PopularityModel}
	}
	return models, skipped, nil
}

// notBuilt are the models the operator's retraining.models accepts that this version
// does not train.
var notBuilt = []string{"bpr"}

// trainingData is what a retraining learns from.
type trainingData struct {
	set *model.Dataset
	// docs are the items' texts by the dataset's item index, nil when the content model
	// is not trained.
	docs []model.Doc
	// interactions counts what was read (every view, click... before they are summed per
	// user and event), dismissed the pairs left out.
	interactions int64
	dismissed    int
}

// loadInteractions reads what signed-in users did in the window before now, each
// interaction weighted by its kind and halved for every half-life of its age, summed per
// user and event; events a user dismissed from their recommendations are left out of
// that user's. Anonymous visitors are left out: the model learns users' tastes, and a
// visitor's number changes every day. Interactions with events or users that no longer
// exist are left out too.
func loadInteractions(ctx context.Context, db *pgxpool.Pool, w InteractionWeights, halfLife, window time.Duration,
	now time.Time, withDocs bool) (trainingData, error) {
	// One snapshot of every table: a registration made while this reads is in all of
	// them or in none.
	tx, err := db.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return trainingData{}, fmt.Errorf("load interactions: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only
	from := now.Add(-window)
	decay := func(at time.Time) float64 {
		if halfLife <= 0 || !at.Before(now) {
			return 1
		}
		return math.Exp2(-float64(now.Sub(at)) / float64(halfLife))
	}

	type pair struct{ user, event int64 }
	dismissed := map[pair]bool{}
	type feedback struct {
		pair
		action string
		at     time.Time
	}
	var kept []feedback
	rows, err := tx.Query(ctx, `SELECT user_id, event_id, action, created_at FROM recommendation_feedback
		WHERE action = 'dismissed' OR created_at BETWEEN $1 AND $2`, from, now)
	if err != nil {
		return trainingData{}, fmt.Errorf("load feedback: %w", err)
	}
	for rows.Next() {
		var f feedback
		if err := rows.Scan(&f.user, &f.event, &f.action, &f.at); err != nil {
			rows.Close()
			return trainingData{}, fmt.Errorf("load feedback: %w", err)
		}
		switch {
		case f.action == "dismissed":
			dismissed[f.pair] = true
		case !f.at.After(now): // a dismissal dated later still counts
			kept = append(kept, f)
		}
	}
	if err := rows.Err(); err != nil {
		return trainingData{}, fmt.Errorf("load feedback: %w", err)
	}

	out := trainingData{dismissed: len(dismissed)}
	b := model.NewBuilder()
	add := func(user, event int64, weight float64, at time.Time, n int64) {
		if weight <= 0 || dismissed[pair{user, event}] {
			return
		}
		b.Add(user, event, float32(weight), at.Unix())
		out.interactions += n
	}
	for _, f := range kept {
		kind := map[string]string{"clicked": "click", "registered": "register"}[f.action]
		add(f.user, f.event, w[kind]*decay(f.at), f.at, 1)
	}

	// Analytics holds many views per user and event: sum them there, decayed, rather than
	// send each one over.
	var types []string
	for _, k := range []string{"view", "click", "share"} {
		if w[k] > 0 {
			types = append(types, k)
		}
	}
	if len(types) > 0 {
		rows, err := tx.Query(ctx, `
			SELECT a.user_id, a.event_id, a.type, count(*), max(a.occurred_at),
			       sum(CASE WHEN $3::float8 > 0
			                THEN power(0.5, greatest(extract(epoch FROM $2::timestamptz - a.occurred_at)::float8, 0) / $3::float8)
			                ELSE 1 END)
			FROM analytics_events a
			WHERE a.source = 'client' AND a.user_id IS NOT NULL AND a.event_id IS NOT NULL AND a.type = ANY($4)
			  AND a.occurred_at >= $1 AND a.occurred_at <= $2
			  AND EXISTS (SELECT 1 FROM users u WHERE u.id = a.user_id)
			  AND EXISTS (SELECT 1 FROM events e WHERE e.id = a.event_id)
			GROUP BY a.user_id, a.event_id, a.type`, from, now, halfLife.Seconds(), types)
		if err != nil {
			return trainingData{}, fmt.Errorf("load analytics interactions: %w", err)
		}
		var user, event, n int64
		var kind string
		var at time.Time
		var decayed float64
		_, err = pgx.ForEachRow(rows, []any{&user, &event, &kind, &n, &at, &decayed}, func() error {
			add(user, event, w[kind]*decayed, at, n)
			return nil
		})
		if err != nil {
			return trainingData{}, fmt.Errorf("load analytics interactions: %w", err)
		}
	}

	for _, src := range []struct{ kind, sql string }{
		{"favorite", `SELECT user_id, event_id, created_at FROM favorites WHERE created_at BETWEEN $1 AND $2`},
		{"register", `SELECT user_id, event_id, created_at FROM event_registrations
			WHERE status IN ('confirmed', 'waitlisted') AND created_at BETWEEN $1 AND $2`},
	} {
		if w[src.kind] <= 0 {
			continue
		}
		rows, err := tx.Query(ctx, src.sql, from, now)
		if err != nil {
			return trainingData{}, fmt.Errorf("load %ss: %w", src.kind, err)
		}
		var user, event int64
		var at time.Time
		_, err = pgx.ForEachRow(rows, []any{&user, &event, &at}, func() error {
			add(user, event, w[src.kind]*decay(at), at, 1)
			return nil
		})
		if err != nil {
			return trainingData{}, fmt.Errorf("load %ss: %w", src.kind, err)
		}
	}
	out.set = b.Dataset()
	if withDocs && out.set.NItems() > 0 {
		if out.docs, err = loadDocs(ctx, tx, out.set.ItemIDs); err != nil {
			return trainingData{}, err
		}
	}
	return out, nil
}

// loadDocs reads the text of events ids, by index in ids.
func loadDocs(ctx context.Context, tx pgx.Tx, ids []int64) ([]model.Doc, error) {
	index := make(map[int64]int, len(ids))
	for i, id := range ids {
		index[id] = i
	}
	docs := make([]model.Doc, len(ids))
	rows, err := tx.Query(ctx, `SELECT id, title, description, category, tags FROM events WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("load event texts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var d model.Doc // a new one each row: pgx may reuse a slice it scanned into
		if err := rows.Scan(&id, &d.Title, &d.Description, &d.Category, &d.Tags); err != nil {
			return nil, fmt.Errorf("load event texts: %w", err)
		}
		docs[index[id]] = d
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load event texts: %w", err)
	}
	return docs, nil
}
