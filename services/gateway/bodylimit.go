package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"

	"github.com/events-platform/events-platform/internal/httpapi"
)

type bodyKey struct{}

// limitedBody is a request body cut at the limit that remembers being cut, so whoever
// turns the outcome into a response (proxy error handler, in-process guard) can answer
// 413 whatever error the reader's caller made of it.
type limitedBody struct {
	io.ReadCloser
	exceeded atomic.Bool
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var tooBig *http.MaxBytesError
	if err != nil && errors.As(err, &tooBig) {
		b.exceeded.Store(true)
	}
	return n, err
}

// limitBody refuses a declared body over the limit before reading any of it, and cuts a
// streamed (chunked) body at the limit.
func (g *Gateway) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > g.cfg.MaxBodyBytes {
			httpapi.WriteError(w, errTooLarge(g.cfg.MaxBodyBytes))
			return
		}
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		body := &limitedBody{ReadCloser: http.MaxBytesReader(w, r.Body, g.cfg.MaxBodyBytes)}
		r = r.WithContext(context.WithValue(r.Context(), bodyKey{}, body))
		r.Body = body
		next.ServeHTTP(w, r)
	})
}

// bodyExceeded reports whether something read r's body past the limit.
func bodyExceeded(r *http.Request) bool {
	b, ok := r.Context().Value(bodyKey{}).(*limitedBody)
	return ok && b.exceeded.Load()
}

func errTooLarge(limit int64) *httpapi.Error {
	return httpapi.NewError(http.StatusRequestEntityTooLarge, httpapi.CodeTooLarge,
		fmt.Sprintf("request body is larger than the %d bytes allowed", limit))
}
