package httpapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// StatusClientClosed is the status logged for a request whose client went away before
// the answer (nginx's 499); the client never sees it.
const StatusClientClosed = 499

// CodeClientClosed goes with StatusClientClosed.
const CodeClientClosed = "client_closed"

// RetryAfterSeconds is what a 503 tells clients to wait before trying again: long enough
// for a restarted database or a reconnect, short enough not to lose a user.
const RetryAfterSeconds = "2"

// Unavailable is the answer while a dependency (database, message bus, cache) is down:
// a brief, retryable 503 that names no host.
func Unavailable() *Error {
	return NewError(http.StatusServiceUnavailable, CodeUnavailable,
		"the service is briefly unavailable; try again in a few seconds").WithHeader("Retry-After", RetryAfterSeconds)
}

// Fail maps an error a handler could not handle itself to what the client sees. Every
// service's own error mapping ends here, so the same fault gets the same answer
// everywhere: a coded *Error passes through, a client that left is 499, text PostgreSQL
// refuses is 400, a dependency that is down is 503 with Retry-After, and anything else is
// logged with op and is a 500.
func Fail(ctx context.Context, log *slog.Logger, op string, err error) error {
	var apiErr *Error
	switch {
	case errors.As(err, &apiErr):
		return apiErr
	case errors.Is(err, context.Canceled):
		return NewError(StatusClientClosed, CodeClientClosed, "request cancelled")
	case isInvalidText(err):
		// The edge check (httpserver) refuses such input with the field's name; this is
		// the net under it for text that arrives another way (a header, say).
		return BadRequest("text must be valid UTF-8 and must not contain NUL characters")
	}
	if dep, ok := Down(err); ok {
		log.WarnContext(ctx, op+" failed: dependency unavailable", "dependency", dep, "err", err)
		return Unavailable()
	}
	log.ErrorContext(ctx, op+" failed", "err", err)
	return Internal()
}

// isInvalidText reports whether PostgreSQL refused text as not valid in its encoding
// (NUL bytes, invalid UTF-8).
func isInvalidText(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "22021" || pgErr.Code == "22P05")
}

// Down reports whether err means a dependency could not be reached or went away, and
// which one when that can be told ("postgres", "nats", "redis" or "network").
func Down(err error) (dependency string, down bool) {
	if err == nil {
		return "", false
	}
	var (
		pgErr   *pgconn.PgError
		connErr *pgconn.ConnectError
		netErr  net.Error
	)
	switch {
	case errors.As(err, &connErr):
		return "postgres", true
	case errors.As(err, &pgErr):
		// Class 08: connection exception; 53: insufficient resources; 57P01-57P03: the
		// server is shutting down, crashed or starting; 57014: a statement timeout.
		c := pgErr.Code
		if strings.HasPrefix(c, "08") || strings.HasPrefix(c, "53") || c == "57P01" || c == "57P02" || c == "57P03" || c == "57014" {
			return "postgres", true
		}
		return "", false
	case errors.Is(err, nats.ErrNoServers), errors.Is(err, nats.ErrConnectionClosed),
		errors.Is(err, nats.ErrDisconnected), errors.Is(err, nats.ErrTimeout),
		errors.Is(err, nats.ErrNoResponders), errors.Is(err, jetstream.ErrNoStreamResponse):
		return "nats", true
	case errors.Is(err, ErrDependencyDown):
		return dependencyName(err), true
	case errors.Is(err, context.DeadlineExceeded), pgconn.Timeout(err):
		return "network", true
	case errors.As(err, &netErr), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "network", true
	case strings.Contains(err.Error(), "conn closed"), strings.Contains(err.Error(), "conn busy"):
		// pgconn's errors for a connection that died under a statement are not typed.
		return "postgres", true
	}
	return "", false
}

// ErrDependencyDown is what a client that fails fast (such as the Redis circuit breaker)
// returns while its dependency is known to be down. Wrap it with DependencyDown.
var ErrDependencyDown = errors.New("dependency is down")

type downError struct{ name string }

func (e *downError) Error() string { return e.name + " is down" }
func (e *downError) Unwrap() error { return ErrDependencyDown }

// DependencyDown returns an error that Fail answers with 503 and Down names as name.
func DependencyDown(name string) error { return &downError{name: name} }

func dependencyName(err error) string {
	var d *downError
	if errors.As(err, &d) {
		return d.name
	}
	return "unknown"
}
