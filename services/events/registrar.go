package events

import (
	"context"
	"sync"
	"time"
)

// maxBatch bounds the users of one registration statement.
const maxBatch = 500

// batchTimeout bounds one batch in the database. A batch does not stop when the request
// that started it goes away: the others in it are waiting for it.
const batchTimeout = 30 * time.Second

// registrar takes the registrations to one event in batches. A registration to an event
// with none in flight goes to the database at once, alone; the registrations that arrive
// while it is there wait and go together in the next statement (registerSQL), which takes
// the event's row lock once for all of them. So a hot event's throughput is batches per
// second times their size rather than one registration per lock hand-over between
// database sessions, and a quiet event's latency is one statement's. Each process
// batches its own requests; the row lock still orders batches from several replicas.
type registrar struct {
	store *store

	mu sync.Mutex
	// queued holds the registrations waiting for each event's next batch; an event is in
	// the map while a goroutine is taking its batches (drain).
	queued map[int64][]*regRequest
}

type regRequest struct {
	ctx    context.Context
	userID int64
	done   chan regResult // buffered: drain never blocks on it
}

type regResult struct {
	reg Registration
	err error
}

func newRegistrar(s *store) *registrar {
	return &registrar{store: s, queued: map[int64][]*regRequest{}}
}

// register confirms a seat for the user while seats remain, and otherwise appends them to
// the waitlist. If ctx ends first it returns ctx's error; the registration may still be
// made, as when a client goes away during a request (a retry with the same
// Idempotency-Key finds it).
func (r *registrar) register(ctx context.Context, eventID, userID int64) (Registration, error) {
	req := &regRequest{ctx: ctx, userID: userID, done: make(chan regResult, 1)}
	r.mu.Lock()
	q, running := r.queued[eventID]
	r.queued[eventID] = append(q, req)
	r.mu.Unlock()
	if !running {
		go r.drain(eventID)
	}
	select {
	case res := <-req.done:
		return res.reg, res.err
	case <-ctx.Done():
		return Registration{}, ctx.Err()
	}
}

// drain runs the event's batches until none is waiting.
func (r *registrar) drain(eventID int64) {
	for {
		r.mu.Lock()
		q := r.queued[eventID]
		if len(q) == 0 {
			delete(r.queued, eventID)
			r.mu.Unlock()
			return
		}
		n := min(len(q), maxBatch)
		batch := q[:n:n]
		r.queued[eventID] = q[n:]
		r.mu.Unlock()
		r.run(eventID, batch)
	}
}

// run registers a batch and answers each request. A user twice in one batch (two
// requests at once) is registered by the first; the second is told they are registered
// already. When the statement fails for the batch (say one user's account was deleted
// since their token was signed) each request runs again alone, so it fails only its own.
func (r *registrar) run(eventID int64, batch []*regRequest) {
	type entry struct {
		req *regRequest
		i   int  // the user's index in users
		dup bool // an earlier request of the batch is the same user's
	}
	var (
		live  []entry
		users []int64
		index = make(map[int64]int, len(batch)) // user -> index in users
	)
	for _, req := range batch {
		if err := req.ctx.Err(); err != nil {
			req.done <- regResult{err: err} // the client went away before its turn
			continue
		}
		i, dup := index[req.userID]
		if !dup {
			i = len(users)
			index[req.userID] = i
			users = append(users, req.userID)
		}
		live = append(live, entry{req, i, dup})
	}
	if len(live) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(live[0].req.ctx), batchTimeout)
	defer cancel()
	regs, errs, err := r.store.registerBatch(ctx, eventID, users)
	if err != nil && len(live) > 1 {
		for _, l := range live {
			r.run(eventID, []*regRequest{l.req})
		}
		return
	}
	for _, l := range live {
		res := regResult{err: err}
		switch {
		case err != nil:
		case l.dup && errs[l.i] == nil:
			res.err = errAlreadyRegistered
		default:
			res = regResult{reg: regs[l.i], err: errs[l.i]}
		}
		l.req.done <- res
	}
}
