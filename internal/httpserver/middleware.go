package httpserver

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/events-platform/events-platform/internal/httpapi"
)

// RequestIDHeader carries the request ID in and out of every service.
const RequestIDHeader = "X-Request-ID"

type ctxKey int

const infoKey ctxKey = iota

// info is per-request data filled in as the request travels through nested handlers.
type info struct {
	requestID   string
	route       string
	user        string
	textChecked bool // CheckText ran: nested muxes need not read the body again
}

// RequestID returns the request's ID, or "" outside a request.
func RequestID(ctx context.Context) string {
	if in, ok := ctx.Value(infoKey).(*info); ok {
		return in.requestID
	}
	return ""
}

// SetUser records the authenticated user for the access log.
func SetUser(ctx context.Context, user string) {
	if in, ok := ctx.Value(infoKey).(*info); ok {
		in.user = user
	}
}

// RecordRoute wraps a ServeMux so that the pattern it matched labels the request's metrics
// and log line (the innermost mux wins, since it finishes first). It is also the one place
// where every mux of every service refuses what no handler should see: text that is not
// valid UTF-8 or holds NUL bytes (CheckText), and requests no pattern matches, which get
// the error envelope (404 not_found, or 405 method_not_allowed with Allow) instead of
// ServeMux's plain text.
func RecordRoute(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, _ := r.Context().Value(infoKey).(*info)
		if in == nil || !in.textChecked {
			if in != nil {
				in.textChecked = true
			}
			if err := CheckText(r); err != nil {
				httpapi.WriteError(w, err)
				return
			}
		}
		if h, pattern := mux.Handler(r); pattern == "" {
			unmatched(w, r, h)
			return
		}
		mux.ServeHTTP(w, r)
		if in != nil && in.route == "" && r.Pattern != "" {
			in.route = r.Pattern
		}
	})
}

// unmatched answers a request that no pattern of a mux matches, in the envelope. h is what
// the mux would have done: it knows whether another method would match (405 and Allow).
func unmatched(w http.ResponseWriter, r *http.Request, h http.Handler) {
	probe := &headerRecorder{header: http.Header{}}
	h.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		allow := probe.header.Get("Allow")
		httpapi.WriteError(w, httpapi.NewError(http.StatusMethodNotAllowed, httpapi.CodeMethodNotAllowed,
			r.Method+" is not allowed here; use "+strings.ReplaceAll(allow, ", ", " or ")).WithHeader("Allow", allow))
		return
	}
	httpapi.WriteError(w, httpapi.NotFound("no route for "+r.Method+" "+r.URL.Path))
}

// headerRecorder keeps the status and headers a handler writes and drops its body.
type headerRecorder struct {
	header http.Header
	status int
}

func (h *headerRecorder) Header() http.Header { return h.header }
func (h *headerRecorder) WriteHeader(code int) {
	if h.status == 0 {
		h.status = code
	}
}
func (h *headerRecorder) Write(b []byte) (int, error) {
	h.WriteHeader(http.StatusOK)
	return len(b), nil
}

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inflight prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total", Help: "HTTP requests by route, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "http_request_duration_seconds", Help: "HTTP request latency by route and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "http_requests_in_flight", Help: "HTTP requests being served.",
		}),
	}
	reg.MustRegister(m.requests, m.duration, m.inflight)
	return m
}

// Middleware gives every request an ID, recovers panics as a 500 envelope, records RED
// metrics per route and writes one access log line.
func (s *Server) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		in := &info{requestID: requestID(r.Header.Get(RequestIDHeader))}
		r.Header.Set(RequestIDHeader, in.requestID)
		w.Header().Set(RequestIDHeader, in.requestID)
		rw := &responseWriter{ResponseWriter: w, status: http.StatusOK}
		s.metrics.inflight.Inc()
		defer func() {
			s.metrics.inflight.Dec()
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic serving request", "request_id", in.requestID, "panic", p, "stack", string(debug.Stack()))
				if !rw.wroteHeader {
					httpapi.WriteError(rw, httpapi.Internal())
				}
			}
			route := in.route
			if route == "" {
				route = "unmatched"
			}
			elapsed := time.Since(start)
			s.metrics.requests.WithLabelValues(route, r.Method, strconv.Itoa(rw.status)).Inc()
			s.metrics.duration.WithLabelValues(route, r.Method).Observe(elapsed.Seconds())
			level := slog.LevelInfo
			if rw.status >= 500 {
				level = slog.LevelError
			}
			s.log.LogAttrs(r.Context(), level, "request",
				slog.String("request_id", in.requestID), slog.String("method", r.Method),
				slog.String("path", r.URL.Path), slog.String("route", route), slog.Int("status", rw.status),
				slog.Int64("bytes", rw.bytes), slog.Duration("duration", elapsed),
				slog.String("remote", r.RemoteAddr), slog.String("user", in.user))
		}()
		next.ServeHTTP(rw, r.WithContext(context.WithValue(r.Context(), infoKey, in)))
	})
}

// requestID keeps a caller's ID when it is sane, so a trace spans services; otherwise it
// makes one.
func requestID(incoming string) string {
	if n := len(incoming); n > 0 && n <= 128 {
		ok := true
		for _, c := range incoming {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
				ok = false
				break
			}
		}
		if ok {
			return incoming
		}
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

type responseWriter struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (w *responseWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush, Hijack (websockets) and deadlines.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush passes through for streaming responses and reverse proxies.
func (w *responseWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack passes through for websocket upgrades.
func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("hijack not supported")
	}
	w.status, w.wroteHeader = http.StatusSwitchingProtocols, true
	return h.Hijack()
}
