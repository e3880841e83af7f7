package events

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/httpapi"
)

// IdempotencyHeader names the key a client sends to make a POST safe to retry.
const IdempotencyHeader = "Idempotency-Key"

// idempotency answers a POST that carries an Idempotency-Key at most once per caller and
// key: the first request runs and its response is stored; a retry with the same key and
// the same request (method, path, body) gets that response again, with
// Idempotent-Replayed: true; the same key with a different request is refused with 422,
// and a retry while the first is still running with 409. Keys expire after ttl. Server
// errors are not stored, so a retry after one runs again.
type idempotency struct {
	db  *pgxpool.Pool
	log *slog.Logger
	ttl time.Duration
}

// maxIdempotentBody bounds the request bodies the middleware buffers to hash.
const maxIdempotentBody = 1 << 20

func (m *idempotency) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get(IdempotencyHeader)
		if r.Method != http.MethodPost || key == "" {
			next.ServeHTTP(w, r)
			return
		}
		id, ok := auth.FromContext(r.Context())
		if !ok {
			next.ServeHTTP(w, r) // the handler answers 401
			return
		}
		if len(key) > 255 || !printable(key) {
			httpapi.WriteError(w, httpapi.BadRequest("Idempotency-Key must be 1 to 255 printable ASCII characters",
				httpapi.Detail{Field: IdempotencyHeader, Message: "1 to 255 printable ASCII characters"}))
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxIdempotentBody+1))
		if err != nil {
			httpapi.WriteError(w, httpapi.NewError(http.StatusBadRequest, httpapi.CodeBadRequest, "could not read the request body"))
			return
		}
		if len(body) > maxIdempotentBody {
			httpapi.WriteError(w, httpapi.NewError(http.StatusRequestEntityTooLarge, httpapi.CodeTooLarge, "request body too large"))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h := sha256.New()
		h.Write([]byte(r.Method + " " + r.URL.Path + "\n"))
		h.Write(body)
		hash := h.Sum(nil)

		ctx := r.Context()
		prev, owned, err := m.claim(ctx, id.UserID, key, hash)
		if err != nil {
			m.log.ErrorContext(ctx, "idempotency claim failed", "err", err)
			httpapi.WriteError(w, httpapi.Internal())
			return
		}
		if !owned {
			switch {
			case !bytes.Equal(prev.hash, hash):
				httpapi.WriteError(w, httpapi.NewError(http.StatusUnprocessableEntity, httpapi.CodeUnprocessable,
					"this Idempotency-Key was already used with a different request"))
			case prev.status == 0:
				httpapi.WriteError(w, httpapi.Conflict("a request with this Idempotency-Key is still in progress; retry later").WithHeader("Retry-After", "1"))
			default:
				w.Header().Set("Content-Type", prev.contentType)
				w.Header().Set("Idempotent-Replayed", "true")
				w.WriteHeader(prev.status)
				_, _ = w.Write(prev.body)
			}
			return
		}
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			// Store the response even when the client went away: its retry must see it.
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := m.finish(sctx, id.UserID, key, rec); err != nil {
				m.log.ErrorContext(ctx, "idempotency store failed", "err", err)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

type storedResponse struct {
	hash        []byte
	status      int
	contentType string
	body        []byte
}

// claim inserts an in-flight row for the key and reports whether this request owns it;
// otherwise it returns the row that is there. An expired key, or one left in flight for a
// minute (its process died), is taken over.
func (m *idempotency) claim(ctx context.Context, userID int64, key string, hash []byte) (storedResponse, bool, error) {
	var got int
	err := m.db.QueryRow(ctx, `
		INSERT INTO idempotency_keys (user_id, key, request_hash, expires_at) VALUES ($1, $2, $3, now() + $4::interval)
		ON CONFLICT (user_id, key) DO UPDATE SET request_hash = excluded.request_hash, status = 0, body = NULL,
			content_type = '', created_at = now(), expires_at = excluded.expires_at
		WHERE idempotency_keys.expires_at < now() OR idempotency_keys.status = 0 AND idempotency_keys.created_at < now() - interval '1 minute'
		RETURNING 1`, userID, key, hash, m.ttl.String()).Scan(&got)
	if err == nil {
		return storedResponse{}, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return storedResponse{}, false, err
	}
	var prev storedResponse
	err = m.db.QueryRow(ctx, `SELECT request_hash, status, content_type, coalesce(body, '') FROM idempotency_keys WHERE user_id = $1 AND key = $2`,
		userID, key).Scan(&prev.hash, &prev.status, &prev.contentType, &prev.body)
	return prev, false, err
}

func (m *idempotency) finish(ctx context.Context, userID int64, key string, rec *recorder) error {
	// Nothing written means the handler panicked (the server answers 500): like a server
	// error, the key is released so the retry runs again.
	if rec.status >= 500 || !rec.wrote {
		_, err := m.db.Exec(ctx, `DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2`, userID, key)
		return err
	}
	_, err := m.db.Exec(ctx, `UPDATE idempotency_keys SET status = $3, content_type = $4, body = $5 WHERE user_id = $1 AND key = $2`,
		userID, key, rec.status, rec.Header().Get("Content-Type"), rec.body.Bytes())
	return err
}

// sweep deletes expired keys.
func (m *idempotency) sweep(ctx context.Context) error {
	_, err := m.db.Exec(ctx, `DELETE FROM idempotency_keys WHERE expires_at < now()`)
	return err
}

// printable reports whether s is printable ASCII only.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// recorder passes a response through and keeps a copy.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
	wrote  bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
