package gateway

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"time"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/httpapi"
	"github.com/events-platform/events-platform/internal/httpserver"
)

// statusClientClosed marks, in logs and metrics, a request its client gave up on; nobody
// reads the response.
const statusClientClosed = httpapi.StatusClientClosed

// newTransport returns the one transport every proxied request shares, so connections to
// a service are reused across routes.
func newTransport(upstreamTimeout time.Duration) *http.Transport {
	return &http.Transport{
		Proxy: nil, // upstreams are in-cluster; never route them through an environment proxy
		DialContext: (&net.Dialer{
			Timeout:   min(5*time.Second, upstreamTimeout),
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:        512,
		MaxIdleConnsPerHost: 128,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 5 * time.Second,
		// Bounds websocket upgrades too, whose context cannot carry a deadline: it would
		// close the connection once the deadline passed.
		ResponseHeaderTimeout: upstreamTimeout,
		ExpectContinueTimeout: time.Second,
	}
}

// forward returns the handler for one upstream's routes.
func (g *Gateway) forward(u *upstream) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case u.handler != nil:
			g.serveInProcess(u, w, r)
		case u.proxy != nil:
			g.serveProxy(u, w, r)
		default:
			g.metrics.upstreamRequests.WithLabelValues(u.name, "503").Inc()
			httpapi.WriteError(w, httpapi.NewError(http.StatusServiceUnavailable, httpapi.CodeUnavailable,
				fmt.Sprintf("the %s service is not configured on this gateway", u.name)))
		}
	})
}

func (g *Gateway) newReverseProxy(u *upstream) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u.url)
			trusted := g.clientIP.fromTrustedProxy(pr.In)
			if trusted {
				// Keep the chain the ingress started; from anyone else it is forged.
				pr.Out.Header["X-Forwarded-For"] = pr.In.Header["X-Forwarded-For"]
			}
			pr.SetXForwarded()
			if trusted {
				for _, h := range []string{"X-Forwarded-Proto", "X-Forwarded-Host"} {
					if v := pr.In.Header.Get(h); v != "" {
						pr.Out.Header.Set(h, v)
					}
				}
			}
			// Set after the proxy dropped the headers the client named in Connection, so a
			// client cannot make these vanish.
			if id := httpserver.RequestID(pr.In.Context()); id != "" {
				pr.Out.Header.Set(httpserver.RequestIDHeader, id)
			}
			stripIdentityHeaders(pr.Out.Header)
			if ip := g.clientIP.clientIP(pr.In); ip.IsValid() {
				pr.Out.Header.Set(clientIPHeader, ip.String())
			}
			if id, ok := auth.FromContext(pr.In.Context()); ok {
				setIdentityHeaders(pr.Out.Header, id)
			}
		},
		Transport: g.transport,
		ModifyResponse: func(res *http.Response) error {
			// The service answered, but only after the body it read was cut at the limit:
			// what it says is about a truncated body.
			if bodyExceeded(res.Request) {
				return &http.MaxBytesError{Limit: g.cfg.MaxBodyBytes}
			}
			// CORS is the gateway's answer alone; a service's own would contradict it.
			for k := range res.Header {
				if strings.HasPrefix(k, "Access-Control-") {
					delete(res.Header, k)
				}
			}
			g.metrics.upstreamRequests.WithLabelValues(u.name, strconv.Itoa(res.StatusCode)).Inc()
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			g.proxyError(u, w, r, err)
		},
		ErrorLog: slog.NewLogLogger(g.log.Handler(), slog.LevelWarn),
	}
}

func (g *Gateway) serveProxy(u *upstream, w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if !isUpgrade(r) {
		ctx, cancel := context.WithTimeout(r.Context(), g.cfg.UpstreamTimeout)
		defer cancel()
		r = r.WithContext(ctx)
	}
	u.proxy.ServeHTTP(w, r)
	if !isUpgrade(r) { // a websocket's lifetime is not latency
		g.metrics.upstreamDuration.WithLabelValues(u.name).Observe(time.Since(start).Seconds())
	}
}

// proxyError turns a failed exchange with a service into the envelope a client can act on.
func (g *Gateway) proxyError(u *upstream, w http.ResponseWriter, r *http.Request, err error) {
	var (
		status  int
		problem *httpapi.Error
		opErr   *net.OpError
		tooBig  *http.MaxBytesError
	)
	switch {
	case bodyExceeded(r) || errors.As(err, &tooBig):
		problem = errTooLarge(g.cfg.MaxBodyBytes)
	case errors.As(err, &opErr) && opErr.Op == "dial":
		// Refused, unresolvable, unreachable: the service is not there.
		problem = errUnavailable(u.name)
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		problem = errUpstreamTimeout(u.name)
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		status = statusClientClosed
	default:
		problem = errUnavailable(u.name)
	}
	if problem != nil {
		status = problem.GetStatus()
	}
	g.metrics.upstreamRequests.WithLabelValues(u.name, strconv.Itoa(status)).Inc()
	level := slog.LevelWarn
	if status == statusClientClosed || status == http.StatusRequestEntityTooLarge {
		level = slog.LevelDebug
	}
	g.log.Log(r.Context(), level, "upstream request failed", "upstream", u.name, "status", status,
		"request_id", httpserver.RequestID(r.Context()), "err", err)
	if problem == nil {
		w.WriteHeader(status)
		return
	}
	httpapi.WriteError(w, problem)
}

// serveInProcess runs a service's handler in this process with the same deadline and body
// limit a proxied request gets.
func (g *Gateway) serveInProcess(u *upstream, w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if !isUpgrade(r) {
		ctx, cancel := context.WithTimeout(r.Context(), g.cfg.UpstreamTimeout)
		defer cancel()
		r = r.WithContext(ctx)
	}
	gw := &guardWriter{ResponseWriter: w, req: r, upstream: u.name, maxBody: g.cfg.MaxBodyBytes}
	u.handler.ServeHTTP(gw, r)
	if !gw.wroteHeader && (bodyExceeded(r) || deadlineExceeded(r)) {
		gw.WriteHeader(http.StatusInternalServerError) // turned into 413 or 504 below
	}
	status := gw.status
	if !gw.wroteHeader {
		status = http.StatusOK
	}
	g.metrics.upstreamRequests.WithLabelValues(u.name, strconv.Itoa(status)).Inc()
	if status != http.StatusSwitchingProtocols {
		g.metrics.upstreamDuration.WithLabelValues(u.name).Observe(time.Since(start).Seconds())
	}
}

// guardWriter gives an in-process handler's failures the meaning a proxied request's would
// have: a response to a body cut at the limit becomes 413, and a server error after the
// deadline passed becomes 504. A handler that ignores its context still runs to the end;
// the gateway cannot stop it without buffering every response, which would break
// streaming and websockets.
type guardWriter struct {
	http.ResponseWriter
	req         *http.Request
	upstream    string
	maxBody     int64
	status      int
	wroteHeader bool
	replaced    bool // the gateway answered; the handler's writes are dropped
}

func (w *guardWriter) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		w.ResponseWriter.WriteHeader(code) // informational: the real status follows
		return
	}
	w.wroteHeader = true
	var problem *httpapi.Error
	switch {
	case bodyExceeded(w.req) && code != http.StatusRequestEntityTooLarge:
		problem = errTooLarge(w.maxBody)
	case code >= 500 && deadlineExceeded(w.req):
		problem = errUpstreamTimeout(w.upstream)
	}
	if problem == nil {
		w.status = code
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.status, w.replaced = problem.GetStatus(), true
	h := w.Header()
	for _, k := range []string{"Content-Length", "Content-Encoding", "Content-Disposition", "ETag", "Last-Modified"} {
		h.Del(k)
	}
	httpapi.WriteError(w.ResponseWriter, problem)
}

func (w *guardWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.replaced {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// Flush passes through for streaming responses.
func (w *guardWriter) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack passes through for websocket upgrades.
func (w *guardWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.status, w.wroteHeader = http.StatusSwitchingProtocols, true
	}
	return conn, brw, err
}

// Unwrap lets http.ResponseController reach the rest (deadlines).
func (w *guardWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// isUpgrade reports whether r asks to switch protocols (websockets). Such a request lives
// as long as the connection, so it gets no overall deadline.
func isUpgrade(r *http.Request) bool {
	return r.Header.Get("Upgrade") != "" && httpHeaderHasToken(r.Header, "Connection", "upgrade")
}

// httpHeaderHasToken reports whether the comma-separated header key lists token
// (case-insensitively).
func httpHeaderHasToken(h http.Header, key, token string) bool {
	for _, v := range h.Values(key) {
		for part := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), token) {
				return true
			}
		}
	}
	return false
}

// deadlineExceeded reports whether the request's upstream deadline has passed.
func deadlineExceeded(r *http.Request) bool {
	return errors.Is(r.Context().Err(), context.DeadlineExceeded)
}

// isTimeout reports whether err is a timeout of the upstream call.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func errUnavailable(service string) *httpapi.Error {
	return httpapi.NewError(http.StatusServiceUnavailable, httpapi.CodeUnavailable,
		fmt.Sprintf("the %s service is unavailable; try again shortly", service)).WithHeader("Retry-After", "1")
}

func errUpstreamTimeout(service string) *httpapi.Error {
	return httpapi.NewError(http.StatusGatewayTimeout, httpapi.CodeUpstreamTimeout,
		fmt.Sprintf("the %s service did not answer in time", service))
}
