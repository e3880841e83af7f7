// Package events is the events service: event CRUD and lifecycle (draft → published →
// cancelled or completed), registrations with a first-in-first-out waitlist and no
// overbooking, check-in, attendee lists and favorites. Every change writes a domain event
// (see messages.go) to the outbox in its transaction.
package events

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"
	_ "time/tzdata" // event time zones must resolve on minimal images too

	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/httpapi"
	"github.com/events-platform/events-platform/internal/httpserver"
	"github.com/events-platform/events-platform/internal/postgres"
)

// Options are the events service's dependencies.
type Options struct {
	Log      *slog.Logger
	DB       *pgxpool.Pool
	Verifier *auth.Verifier
	Version  string
	// IdempotencyTTL is how long an Idempotency-Key is remembered (default 24h).
	IdempotencyTTL time.Duration
	// TrustAfter is how many of an organizer's events a person (an editor or admin) must
	// have approved before the organizer's publications are shown at once; until then each
	// is held for moderation when it is published. Editors and admins are always trusted.
	// 0 holds nobody.
	TrustAfter int
}

// Service serves the events API.
type Service struct {
	log     *slog.Logger
	store   *store
	reg     *registrar
	idem    *idempotency
	api     huma.API
	handler http.Handler
}

// New returns the events service with its routes.
func New(opts Options) *Service {
	if opts.IdempotencyTTL <= 0 {
		opts.IdempotencyTTL = 24 * time.Hour
	}
	st := &store{db: opts.DB, trustAfter: opts.TrustAfter}
	s := &Service{
		log:   opts.Log,
		store: st,
		reg:   newRegistrar(st),
		idem:  &idempotency{db: opts.DB, log: opts.Log, ttl: opts.IdempotencyTTL},
	}
	mux := http.NewServeMux()
	s.api = httpapi.NewAPI(mux, "Events Platform: events", opts.Version)
	s.routes()
	s.handler = auth.Middleware(opts.Verifier)(s.idem.middleware(httpserver.RecordRoute(mux)))
	return s
}

// Handler serves the service's routes (and /openapi.json).
func (s *Service) Handler() http.Handler { return s.handler }

// OpenAPI returns the service's OpenAPI document.
func (s *Service) OpenAPI(context.Context) ([]byte, error) { return s.api.OpenAPI().MarshalJSON() }

// periodicEvery is how often Run completes ended events and sweeps idempotency keys.
const periodicEvery = time.Minute

// Run does the service's periodic work until ctx ends, then returns nil: every minute it
// completes events whose end has passed (with their domain event) and forgets expired
// idempotency keys. A failed round is logged and tried again at the next.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(periodicEvery)
	defer t.Stop()
	for {
		if _, err := s.store.completeEnded(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("complete ended events", "err", err)
		}
		if err := s.idem.sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("sweep idempotency keys", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// CompleteEnded marks published events whose end has passed as completed now, and
// returns how many it changed. Run calls it periodically.
func (s *Service) CompleteEnded(ctx context.Context) (int, error) { return s.store.completeEnded(ctx) }

// badInput is a request that passed the schema but not the service's own rules (400).
type badInput struct{ field, msg string }

func (e *badInput) Error() string { return e.msg }

// fail maps an error to what the client sees; anything unexpected is logged and is a 500.
func (s *Service) fail(ctx context.Context, op string, err error) error {
	var (
		apiErr *httpapi.Error
		state  *stateError
		bad    *badInput
	)
	switch {
	case errors.As(err, &apiErr):
		return apiErr
	case errors.As(err, &bad):
		return httpapi.BadRequest(bad.msg, httpapi.Detail{Field: bad.field, Message: bad.msg})
	case errors.As(err, &state):
		return httpapi.Conflict(state.msg)
	case errors.Is(err, errNotFound):
		return httpapi.NotFound("event not found")
	case errors.Is(err, errForbidden):
		return httpapi.Forbidden("only the event's organizer or an admin can do this")
	case errors.Is(err, errAlreadyRegistered):
		return httpapi.Conflict("you are already registered for this event")
	case errors.Is(err, errNotRegistered):
		return httpapi.NotFound("you are not registered for this event")
	case errors.Is(err, errRegNotFound):
		return httpapi.NotFound("registration not found for this event")
	case postgres.IsMissingReference(err, "users"), errors.Is(err, errNoAccount):
		// The caller's token outlived their account.
		return httpapi.Unauthorized("your account no longer exists")
	}
	return httpapi.Fail(ctx, s.log, op, err)
}

func caller(ctx context.Context) (actor, error) {
	id, err := auth.RequireCtx(ctx)
	if err != nil {
		return actor{}, err
	}
	return actor{UserID: id.UserID, Admin: id.IsAdmin()}, nil
}
