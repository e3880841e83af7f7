package analytics

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/events-platform/events-platform/internal/httpapi"
)

// Interactions are written by group commit: whoever has rows to write (a capture request,
// the domain-event consumer) queues them and waits; a flusher takes everything queued, up
// to maxGroupRows, and writes it in one transaction: COPY into analytics_events and the
// rollups of what was new. A request is answered only after its transaction committed, so
// an accepted interaction is on disk (synchronous_commit is on), and while PostgreSQL is
// down requests get 503 instead of a promise. Concurrent requests share a transaction,
// which is what makes small batches cheap.

// row is one interaction as analytics_events stores it.
type row struct {
	OccurredAt time.Time
	ID         uuid.UUID
	Type       string
	EventID    int64 // 0: none (a search)
	UserID     int64 // 0: anonymous
	Visitor    int64
	Source     string
	Properties []byte // JSON object, or nil
}

const (
	sourceClient = "client"
	sourceDomain = "domain"
)

// errStopped is a write after the writer stopped (the process is shutting down).
var errStopped = fmt.Errorf("analytics writer stopped: %w", httpapi.DependencyDown("analytics writer"))

type pending struct {
	rows []row
	done chan error
}

type writer struct {
	db      *pgxpool.Pool
	log     *slog.Logger
	parts   *partitions
	metrics *metrics
	queue   chan *pending
	stopped chan struct{}
	// maxGroupRows bounds one transaction; retryFor is how long a group is retried while
	// PostgreSQL is unreachable before its writers are told so.
	maxGroupRows int
	retryFor     time.Duration
}

func newWriter(db *pgxpool.Pool, log *slog.Logger, parts *partitions, m *metrics) *writer {
	return &writer{db: db, log: log, parts: parts, metrics: m, queue: make(chan *pending, 256),
		stopped: make(chan struct{}), maxGroupRows: 20_000, retryFor: 3 * time.Second}
}

// write queues rows and waits until they are committed (nil), or until they cannot be.
// An error may still leave them written (a commit whose answer was lost): writing the
// same rows again is harmless, their ids make them land once.
func (w *writer) write(ctx context.Context, rows []row) error {
	if len(rows) == 0 {
		return nil
	}
	p := &pending{rows: rows, done: make(chan error, 1)}
	select {
	case w.queue <- p:
	case <-w.stopped:
		return errStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run flushes groups until ctx ends; n flushers overlap one group's COPY with the next
// one's encoding. Rows queued when ctx ends are still written (the server stops taking
// requests first, so they are the last).
func (w *writer) run(ctx context.Context, n int) {
	done := make(chan struct{})
	for range n {
		go func() {
			defer func() { done <- struct{}{} }()
			for {
				select {
				case p := <-w.queue:
					w.flushGroup(ctx, w.gather(p))
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	for range n {
		<-done
	}
	close(w.stopped)
	// What was queued before stopping is written with a short deadline of its own.
	drain, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		select {
		case p := <-w.queue:
			w.flushGroup(drain, w.gather(p))
		default:
			return
		}
	}
}

// gather takes first and whatever else is queued, up to maxGroupRows.
func (w *writer) gather(first *pending) []*pending {
	group, n := []*pending{first}, len(first.rows)
	for n < w.maxGroupRows {
		select {
		case p := <-w.queue:
			group, n = append(group, p), n+len(p.rows)
		default:
			return group
		}
	}
	return group
}

// flushGroup writes a group and tells each writer how it went. When the group fails for
// a reason other than PostgreSQL being away, each request is written alone, so that one
// request's problem is not everyone's.
func (w *writer) flushGroup(ctx context.Context, group []*pending) {
	var rows []row
	for _, p := range group {
		rows = append(rows, p.rows...)
	}
	err := w.flushRetrying(ctx, rows)
	if err != nil && len(group) > 1 {
		if _, down := httpapi.Down(err); !down {
			for _, p := range group {
				p.done <- w.flushRetrying(ctx, p.rows)
			}
			return
		}
	}
	for _, p := range group {
		p.done <- err
	}
}

// flushRetrying writes rows, trying again while PostgreSQL is unreachable (for up to
// retryFor), on a deadlock with another writer, and once after creating a missing
// partition.
func (w *writer) flushRetrying(ctx context.Context, rows []row) error {
	deadline := time.Now().Add(w.retryFor)
	createdPartitions := false
	for attempt := 0; ; attempt++ {
		start := time.Now()
		err := w.flush(ctx, rows)
		if err == nil {
			w.metrics.flushSeconds.Observe(time.Since(start).Seconds())
			w.metrics.written.Add(float64(len(rows)))
			return nil
		}
		var noPart *noPartitionError
		switch {
		case ctx.Err() != nil:
			return err
		case errors.As(err, &noPart) && !createdPartitions:
			// Partitions are made ahead daily; a replica that missed that (or a clock
			// that moved) makes the month now, if it is one analytics keeps.
			createdPartitions = true
			if perr := w.parts.ensure(ctx, time.Now()); perr != nil {
				return errors.Join(err, perr)
			}
			continue
		case isRetryable(err) && time.Now().Before(deadline):
		default:
			return err
		}
		w.log.Warn("analytics: write failed, retrying", "rows", len(rows), "attempt", attempt+1, "err", err)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(min(time.Duration(attempt+1)*100*time.Millisecond, time.Second)):
		}
	}
}

// isRetryable reports whether a failed write may succeed if tried again: PostgreSQL was
// away, or the transaction lost a deadlock or a serialization race to another writer.
func isRetryable(err error) bool {
	if _, down := httpapi.Down(err); down {
		return true
	}
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}

// noPartitionError is a row whose month has no partition of analytics_events.
type noPartitionError struct{ err error }

func (e *noPartitionError) Error() string {
	return "no partition of analytics_events holds a row's month (partitions are created " +
		"from the retention's start to two months ahead): " + e.err.Error()
}
func (e *noPartitionError) Unwrap() error { return e.err }

// wrapNoPartition names PostgreSQL's "no partition of relation found for row".
func wrapNoPartition(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23514" && strings.Contains(pgErr.Message, "no partition") {
		return &noPartitionError{err: err}
	}
	return err
}

var columns = []string{"occurred_at", "id", "type", "event_id", "user_id", "visitor", "source", "properties"}

// flush writes rows in one transaction. The rows are COPYed straight into
// analytics_events; when some were written before (a re-sent batch, a redelivered domain
// event), the COPY fails on the unique index and the rows go through a staging table and
// INSERT ... ON CONFLICT DO NOTHING instead, so that only the new ones are counted.
func (w *writer) flush(ctx context.Context, rows []row) error {
	fresh, err := w.copyRows(ctx, rows, true)
	if isDuplicate(err) {
		fresh, err = w.copyRows(ctx, rows, false)
	}
	if err != nil {
		return err
	}
	w.metrics.duplicates.Add(float64(len(rows) - fresh))
	return nil
}

func isDuplicate(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// copyRows writes rows and their rollups in one transaction and returns how many were
// new. direct: COPY into analytics_events, failing on any row written before; else
// through a staging table, skipping those.
func (w *writer) copyRows(ctx context.Context, rows []row, direct bool) (int, error) {
	tx, err := w.db.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit, a no-op
	src := pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
		r := &rows[i]
		return []any{r.OccurredAt, r.ID, r.Type, nullID(r.EventID), nullID(r.UserID), r.Visitor, r.Source, r.Properties}, nil
	})
	fresh := rows
	if direct {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"analytics_events"}, columns, src); err != nil {
			return 0, wrapNoPartition(err)
		}
	} else {
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE analytics_staging (LIKE analytics_events INCLUDING DEFAULTS) ON COMMIT DROP`); err != nil {
			return 0, err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"analytics_staging"}, columns, src); err != nil {
			return 0, err
		}
		ids, err := tx.Query(ctx, `
			INSERT INTO analytics_events (`+strings.Join(columns, ", ")+`)
			SELECT `+strings.Join(columns, ", ")+` FROM analytics_staging
			ON CONFLICT (occurred_at, id) DO NOTHING
			RETURNING id`)
		if err != nil {
			return 0, wrapNoPartition(err)
		}
		inserted, err := pgx.CollectRows(ids, pgx.RowTo[uuid.UUID])
		if err != nil {
			return 0, wrapNoPartition(err)
		}
		fresh = onlyIDs(rows, inserted)
	}
	if err := rollUp(ctx, tx, fresh); err != nil {
		return 0, err
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, err
	}
	return len(fresh), nil
}

// onlyIDs returns the rows whose id is in ids, each once (a batch may hold the same item
// twice; the database wrote it once).
func onlyIDs(rows []row, ids []uuid.UUID) []row {
	want := make(map[uuid.UUID]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	out := make([]row, 0, len(ids))
	for _, r := range rows {
		if want[r.ID] {
			out = append(out, r)
			delete(want, r.ID)
		}
	}
	return out
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// hourKey is one event in one hour.
type hourKey struct {
	event int64
	hour  time.Time
}

// hourCounts are the counts of one rollup row: an event's hour or day, the platform's day
// or week.
type hourCounts struct {
	views, clicks, shares, favorites, unfavorites, registrations, cancellations int64
	// viewers: distinct viewers new to an event's day; activeVisitors, activeUsers: new to
	// the platform's day or week.
	viewers, activeVisitors, activeUsers int64
}

// counts are the counts in countColumns' order.
func (c *hourCounts) counts() []int64 {
	return []int64{c.views, c.clicks, c.shares, c.favorites, c.unfavorites, c.registrations, c.cancellations}
}

func (c *hourCounts) add(o hourCounts) {
	c.views += o.views
	c.clicks += o.clicks
	c.shares += o.shares
	c.favorites += o.favorites
	c.unfavorites += o.unfavorites
	c.registrations += o.registrations
	c.cancellations += o.cancellations
}

// count adds r to c and reports whether it counts at all. Registrations and favorites
// count what the services committed (domain events), not what a client says it did.
func (c *hourCounts) count(r *row) bool {
	switch {
	case r.Source == sourceClient && r.Type == "view":
		c.views++
	case r.Source == sourceClient && r.Type == "click":
		c.clicks++
	case r.Source == sourceClient && r.Type == "share":
		c.shares++
	case r.Source == sourceDomain && r.Type == "favorite":
		c.favorites++
	case r.Source == sourceDomain && r.Type == "unfavorite":
		c.unfavorites++
	case r.Source == sourceDomain && r.Type == "register":
		c.registrations++
	case r.Source == sourceDomain && r.Type == "unregister":
		c.cancellations++
	default:
		return false
	}
	return true
}

type viewerKey struct {
	event   int64
	day     time.Time
	visitor int64
}

type dayKey struct {
	event int64 // 0: the whole platform
	day   time.Time
}

// rollUp adds new rows to the rollups, in the rows' transaction: counts per event and
// hour, per event and day, per day; who viewed each event each day and who was active
// each day and week, and from the rows those two gained, the days' unique viewers and the
// days' and weeks' active visitors. Keys are written in order, so that writers updating
// the same rows take their locks in the same order.
func rollUp(ctx context.Context, tx pgx.Tx, rows []row) error {
	hours := map[hourKey]*hourCounts{}
	days := map[dayKey]*hourCounts{} // per event and day, and per day (event 0)
	viewers := map[viewerKey]bool{}
	active := map[viewerKey]bool{} // event 0: a day; event 1: a week
	for i := range rows {
		r := &rows[i]
		at := r.OccurredAt.UTC()
		day := at.Truncate(24 * time.Hour)
		active[viewerKey{0, day, r.Visitor}] = true
		active[viewerKey{1, weekOf(day), r.Visitor}] = true
		var c hourCounts
		if !c.count(r) {
			continue
		}
		for _, k := range []dayKey{{r.EventID, day}, {0, day}} {
			if r.EventID == 0 && k.event != 0 {
				continue
			}
			d := days[k]
			if d == nil {
				d = &hourCounts{}
				days[k] = d
			}
			d.add(c)
		}
		if r.EventID == 0 {
			continue
		}
		k := hourKey{r.EventID, at.Truncate(time.Hour)}
		h := hours[k]
		if h == nil {
			h = &hourCounts{}
			hours[k] = h
		}
		h.add(c)
		if r.Source == sourceClient && r.Type == "view" {
			viewers[viewerKey{r.EventID, day, r.Visitor}] = true
		}
	}
	if err := upsertHours(ctx, tx, hours); err != nil {
		return err
	}
	// Who is new today (this week) adds to the day's (week's) distinct counts.
	newViewers, err := insertPairs(ctx, tx, viewers, `
		INSERT INTO analytics_event_viewers (event_id, day, visitor)
		SELECT e, (d AT TIME ZONE 'UTC')::date, v FROM unnest($1::bigint[], $2::timestamptz[], $3::bigint[]) AS t(e, d, v)
		ON CONFLICT DO NOTHING RETURNING event_id, day::timestamp AT TIME ZONE 'UTC', visitor`)
	if err != nil {
		return fmt.Errorf("roll up viewers: %w", err)
	}
	newActive, err := insertPairs(ctx, tx, active, `
		WITH t(k, d, v) AS (SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::bigint[])),
		a AS (
			INSERT INTO analytics_active_visitors (day, visitor)
			SELECT (d AT TIME ZONE 'UTC')::date, v FROM t WHERE k = 0
			ON CONFLICT DO NOTHING RETURNING 0::bigint, day::timestamp AT TIME ZONE 'UTC', visitor),
		w AS (
			INSERT INTO analytics_active_weeks (week, visitor)
			SELECT (d AT TIME ZONE 'UTC')::date, v FROM t WHERE k = 1
			ON CONFLICT DO NOTHING RETURNING 1::bigint, week::timestamp AT TIME ZONE 'UTC', visitor)
		SELECT * FROM a UNION ALL SELECT * FROM w`)
	if err != nil {
		return fmt.Errorf("roll up active visitors: %w", err)
	}
	for k := range newViewers {
		dk := dayKey{k.event, k.day}
		if days[dk] == nil {
			days[dk] = &hourCounts{}
		}
		days[dk].viewers++
	}
	weeks := map[time.Time]*hourCounts{}
	for k := range newActive {
		var c *hourCounts
		if k.event == 0 {
			dk := dayKey{0, k.day}
			if c = days[dk]; c == nil {
				c = &hourCounts{}
				days[dk] = c
			}
		} else if c = weeks[k.day]; c == nil {
			c = &hourCounts{}
			weeks[k.day] = c
		}
		c.activeVisitors++
		if k.visitor > 0 {
			c.activeUsers++
		}
	}
	if err := upsertDays(ctx, tx, days); err != nil {
		return err
	}
	return upsertWeeks(ctx, tx, weeks)
}

// weekOf is the Monday starting day's week.
func weekOf(day time.Time) time.Time {
	return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
}

// insertPairs inserts keys with query ($1 event or kind, $2 day, $3 visitor, in key
// order) and returns the keys it added.
func insertPairs(ctx context.Context, tx pgx.Tx, keys map[viewerKey]bool, query string) (map[viewerKey]bool, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	sorted := sortedKeys(keys, func(a, b viewerKey) int {
		return cmp.Or(cmp.Compare(a.event, b.event), a.day.Compare(b.day), cmp.Compare(a.visitor, b.visitor))
	})
	ev, vis := make([]int64, len(sorted)), make([]int64, len(sorted))
	ds := make([]time.Time, len(sorted))
	for i, k := range sorted {
		ev[i], ds[i], vis[i] = k.event, k.day, k.visitor
	}
	rows, err := tx.Query(ctx, query, ev, ds, vis)
	if err != nil {
		return nil, err
	}
	added := map[viewerKey]bool{}
	var k viewerKey
	_, err = pgx.ForEachRow(rows, []any{&k.event, &k.day, &k.visitor}, func() error {
		k.day = k.day.UTC()
		added[k] = true
		return nil
	})
	return added, err
}

func upsertHours(ctx context.Context, tx pgx.Tx, hours map[hourKey]*hourCounts) error {
	if len(hours) == 0 {
		return nil
	}
	keys := sortedKeys(hours, func(a, b hourKey) int { return cmp.Or(cmp.Compare(a.event, b.event), a.hour.Compare(b.hour)) })
	ev, hr := make([]int64, len(keys)), make([]time.Time, len(keys))
	var cols [7][]int64
	for i, k := range keys {
		ev[i], hr[i] = k.event, k.hour
		for j, v := range hours[k].counts() {
			cols[j] = append(cols[j], v)
		}
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO analytics_event_hours AS h (event_id, hour, views, clicks, shares, favorites, unfavorites, registrations, cancellations)
		SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[])
		ON CONFLICT (event_id, hour) DO UPDATE SET `+addCounts("h")+``,
		ev, hr, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6]); err != nil {
		return fmt.Errorf("roll up hours: %w", err)
	}
	return nil
}

func upsertDays(ctx context.Context, tx pgx.Tx, days map[dayKey]*hourCounts) error {
	if len(days) == 0 {
		return nil
	}
	keys := sortedKeys(days, func(a, b dayKey) int { return cmp.Or(cmp.Compare(a.event, b.event), a.day.Compare(b.day)) })
	var (
		ev, pev              []int64
		dy, pdy              []time.Time
		cols, pcols          [7][]int64
		viewers, pvis, pusrs []int64
	)
	for _, k := range keys {
		c := days[k]
		if k.event != 0 {
			ev, dy, viewers = append(ev, k.event), append(dy, k.day), append(viewers, c.viewers)
			for j, v := range c.counts() {
				cols[j] = append(cols[j], v)
			}
			continue
		}
		pev, pdy = append(pev, 0), append(pdy, k.day)
		pvis, pusrs = append(pvis, c.activeVisitors), append(pusrs, c.activeUsers)
		for j, v := range c.counts() {
			pcols[j] = append(pcols[j], v)
		}
	}
	if len(ev) > 0 {
		if _, err := tx.Exec(ctx, `
			INSERT INTO analytics_event_days AS h (event_id, day, views, clicks, shares, favorites, unfavorites, registrations, cancellations, viewers)
			SELECT e, (d AT TIME ZONE 'UTC')::date, c1, c2, c3, c4, c5, c6, c7, v
			FROM unnest($1::bigint[], $2::timestamptz[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[])
				AS t(e, d, c1, c2, c3, c4, c5, c6, c7, v)
			ON CONFLICT (event_id, day) DO UPDATE SET `+addCounts("h")+`, viewers = h.viewers + excluded.viewers`,
			ev, dy, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], viewers); err != nil {
			return fmt.Errorf("roll up event days: %w", err)
		}
	}
	if len(pdy) > 0 {
		if _, err := tx.Exec(ctx, `
			INSERT INTO analytics_days AS h (day, views, clicks, shares, favorites, unfavorites, registrations, cancellations, active_visitors, active_users)
			SELECT (d AT TIME ZONE 'UTC')::date, c1, c2, c3, c4, c5, c6, c7, a, u
			FROM unnest($1::timestamptz[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[])
				AS t(d, c1, c2, c3, c4, c5, c6, c7, a, u)
			ON CONFLICT (day) DO UPDATE SET `+addCounts("h")+`,
				active_visitors = h.active_visitors + excluded.active_visitors, active_users = h.active_users + excluded.active_users`,
			pdy, pcols[0], pcols[1], pcols[2], pcols[3], pcols[4], pcols[5], pcols[6], pvis, pusrs); err != nil {
			return fmt.Errorf("roll up days: %w", err)
		}
	}
	return nil
}

func upsertWeeks(ctx context.Context, tx pgx.Tx, weeks map[time.Time]*hourCounts) error {
	if len(weeks) == 0 {
		return nil
	}
	keys := sortedKeys(weeks, func(a, b time.Time) int { return a.Compare(b) })
	vis, usrs := make([]int64, len(keys)), make([]int64, len(keys))
	for i, k := range keys {
		vis[i], usrs[i] = weeks[k].activeVisitors, weeks[k].activeUsers
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO analytics_weeks AS h (week, active_visitors, active_users)
		SELECT (w AT TIME ZONE 'UTC')::date, a, u FROM unnest($1::timestamptz[], $2::bigint[], $3::bigint[]) AS t(w, a, u)
		ON CONFLICT (week) DO UPDATE SET active_visitors = h.active_visitors + excluded.active_visitors,
			active_users = h.active_users + excluded.active_users`, keys, vis, usrs); err != nil {
		return fmt.Errorf("roll up weeks: %w", err)
	}
	return nil
}

// addCounts is the SET list adding excluded's counts to table alias t's.
func addCounts(t string) string {
	var b strings.Builder
	for i, c := range countColumns {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%[2]s = %[1]s.%[2]s + excluded.%[2]s", t, c)
	}
	return b.String()
}

var countColumns = []string{"views", "clicks", "shares", "favorites", "unfavorites", "registrations", "cancellations"}

func sortedKeys[K comparable, V any](m map[K]V, compare func(a, b K) int) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compare)
	return keys
}

// Record is one interaction of history to import (the demo seed's), as if captured or
// recorded when it happened.
type Record struct {
	OccurredAt time.Time
	// Type is one of view, click, share, search (as a client sends them) or favorite,
	// unfavorite, register, unregister (as the services' domain events record them).
	Type    string
	EventID int64
	// UserID is the signed-in user, or 0 for an anonymous visitor, then Visitor (< 0)
	// tells who.
	UserID  int64
	Visitor int64
}

// importChunk is how many records Import writes per transaction.
const importChunk = 50_000

// Import writes records and their rollups, importChunk at a time, and returns how many it
// wrote: each record anew (records carry no id; importing twice counts twice). Records in
// time order write about twice as fast (their rollup rows are fewer per chunk). The partitions their months need must exist (Service.Maintain makes those of
// the retention).
func Import(ctx context.Context, db *pgxpool.Pool, records []Record) (int, error) {
	w := &writer{db: db}
	n := 0
	for start := 0; start < len(records); start += importChunk {
		chunk := records[start:min(start+importChunk, len(records))]
		rows := make([]row, len(chunk))
		for i, r := range chunk {
			if r.UserID <= 0 && r.Visitor >= 0 {
				return n, fmt.Errorf("import interactions: record %d: an anonymous visitor's number must be negative", start+i)
			}
			src, visitor := sourceClient, r.Visitor
			switch r.Type {
			case "favorite", "unfavorite", "register", "unregister":
				src = sourceDomain
			}
			if r.UserID > 0 {
				visitor = r.UserID
			}
			rows[i] = row{OccurredAt: r.OccurredAt.UTC(), ID: uuid.New(), Type: r.Type, EventID: r.EventID, UserID: r.UserID,
				Visitor: visitor, Source: src}
		}
		written, err := w.copyRows(ctx, rows, true)
		if err != nil {
			return n, fmt.Errorf("import interactions: %w", err)
		}
		n += written
	}
	return n, nil
}
