// Package httpapi holds the wire contract every service shares: the success and error
// envelopes, the coded error type that maps to an HTTP status, and the Huma configuration
// that produces them and the OpenAPI document.
package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
)

// Error codes clients can branch on.
const (
	CodeBadRequest       = "bad_request"
	CodeValidation       = "validation_failed"
	CodeUnauthorized     = "unauthorized"
	CodeForbidden        = "forbidden"
	CodeNotFound         = "not_found"
	CodeMethodNotAllowed = "method_not_allowed"
	CodeConflict         = "conflict"
	CodeTooLarge         = "payload_too_large"
	CodeUnprocessable    = "unprocessable"
	CodeRateLimited      = "rate_limited"
	CodeInternal         = "internal"
	CodeUnavailable      = "unavailable"
	CodeUpstreamTimeout  = "upstream_timeout"
)

// Detail points at one problem in a request, such as a field that failed validation.
type Detail struct {
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// Problem is what a client sees of an error.
type Problem struct {
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Details []Detail `json:"details,omitempty"`
}

// Error is the error envelope, and the one error type handlers return to set a status.
// Its message is for clients; what is logged is the wrapped cause, never sent.
type Error struct {
	status  int
	headers http.Header
	Success bool    `json:"success"`
	Problem Problem `json:"error"`
}

// NewError returns an error with the given status, code and client-facing message.
func NewError(status int, code, message string, details ...Detail) *Error {
	return &Error{status: status, Problem: Problem{Code: code, Message: message, Details: details}}
}

func (e *Error) Error() string { return e.Problem.Code + ": " + e.Problem.Message }

// GetStatus returns the HTTP status; it makes Error a huma.StatusError.
func (e *Error) GetStatus() int { return e.status }

// GetHeaders returns extra response headers (such as Retry-After).
func (e *Error) GetHeaders() http.Header { return e.headers }

// WithHeader returns e with a response header added.
func (e *Error) WithHeader(key, value string) *Error {
	if e.headers == nil {
		e.headers = http.Header{}
	}
	e.headers.Set(key, value)
	return e
}

// Shorthands for the common errors.
func BadRequest(msg string, details ...Detail) *Error {
	return NewError(http.StatusBadRequest, CodeValidation, msg, details...)
}
func Unauthorized(msg string) *Error { return NewError(http.StatusUnauthorized, CodeUnauthorized, msg) }
func Forbidden(msg string) *Error    { return NewError(http.StatusForbidden, CodeForbidden, msg) }
func NotFound(msg string) *Error     { return NewError(http.StatusNotFound, CodeNotFound, msg) }
func Conflict(msg string) *Error     { return NewError(http.StatusConflict, CodeConflict, msg) }
func Internal() *Error {
	return NewError(http.StatusInternalServerError, CodeInternal, "internal error")
}

// Envelope wraps a successful response body.
type Envelope[T any] struct {
	Success bool `json:"success"`
	Data    T    `json:"data"`
}

// Page describes where a list continues.
type Page struct {
	NextCursor string `json:"next_cursor,omitempty"`
	Limit      int    `json:"limit"`
}

// ListEnvelope wraps a page of a list.
type ListEnvelope[T any] struct {
	Success bool `json:"success"`
	Data    []T  `json:"data"`
	Page    Page `json:"page"`
}

// Output is a Huma response with a status and an enveloped body.
type Output[T any] struct {
	Status int
	Body   Envelope[T]
}

// ListOutput is a Huma response holding one page of a list.
type ListOutput[T any] struct {
	Body ListEnvelope[T]
}

// OK returns a 200 response holding data.
func OK[T any](data T) *Output[T] {
	return &Output[T]{Status: http.StatusOK, Body: Envelope[T]{Success: true, Data: data}}
}

// Created returns a 201 response holding data.
func Created[T any](data T) *Output[T] {
	return &Output[T]{Status: http.StatusCreated, Body: Envelope[T]{Success: true, Data: data}}
}

// List returns a page of items; items is never encoded as null.
func List[T any](items []T, page Page) *ListOutput[T] {
	if items == nil {
		items = []T{}
	}
	return &ListOutput[T]{Body: ListEnvelope[T]{Success: true, Data: items, Page: page}}
}

func init() {
	// Huma builds its own errors for validation and decoding; make them ours so every
	// error a client sees has the same envelope.
	huma.NewError = fromHuma
}

func fromHuma(status int, msg string, errs ...error) huma.StatusError {
	var details []Detail
	for _, err := range errs {
		if err == nil {
			continue
		}
		var d Detail
		if ed, ok := err.(huma.ErrorDetailer); ok {
			hd := ed.ErrorDetail()
			d = Detail{Field: strings.TrimPrefix(strings.TrimPrefix(hd.Location, "body."), "body"), Message: hd.Message}
		} else {
			d = Detail{Message: err.Error()}
		}
		details = append(details, d)
	}
	switch {
	case status == http.StatusUnprocessableEntity, status == http.StatusBadRequest && len(details) > 0:
		// A request that does not match the schema is a client error of input: 400,
		// as the seed contract's clients expect.
		return NewError(http.StatusBadRequest, CodeValidation, "request validation failed", details...)
	case status == http.StatusBadRequest:
		return NewError(status, CodeBadRequest, msg, details...)
	case status == http.StatusRequestEntityTooLarge:
		return NewError(status, CodeTooLarge, "request body too large")
	case status >= 500:
		return Internal()
	}
	return NewError(status, codeFor(status), msg, details...)
}

func codeFor(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return CodeUnauthorized
	case http.StatusForbidden:
		return CodeForbidden
	case http.StatusNotFound:
		return CodeNotFound
	case http.StatusMethodNotAllowed:
		return CodeMethodNotAllowed
	case http.StatusConflict:
		return CodeConflict
	case http.StatusTooManyRequests:
		return CodeRateLimited
	case http.StatusServiceUnavailable:
		return CodeUnavailable
	case http.StatusGatewayTimeout:
		return CodeUpstreamTimeout
	}
	return strings.ReplaceAll(strings.ToLower(http.StatusText(status)), " ", "_")
}

// CSVCell is s as a CSV cell a spreadsheet will not run as a formula (CSV injection):
// text starting with =, +, -, @, a tab or a carriage return gets a leading apostrophe.
// Every user-written text a CSV export holds goes through it.
func CSVCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteError writes err's envelope outside Huma (middleware, proxies).
func WriteError(w http.ResponseWriter, err *Error) {
	for k, vs := range err.headers {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(err.status)
	_ = json.NewEncoder(w).Encode(err)
}

// WriteJSON writes v as a 200 (or the given status) JSON response outside Huma.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// NewAPI returns a Huma API on mux that speaks the envelopes above and serves its OpenAPI
// document at /openapi.json. The docs page lives at the gateway.
func NewAPI(mux *http.ServeMux, title, version string) huma.API {
	cfg := huma.DefaultConfig(title, version)
	cfg.CreateHooks = nil // no $schema links in bodies: the envelope is the contract
	cfg.DocsPath = ""
	cfg.SchemasPath = ""
	cfg.OpenAPIPath = "/openapi"
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", BearerFormat: "JWT"},
	}
	api := humago.New(mux, cfg)
	api.UseMiddleware(endBodyDeadline)
	return api
}

// endBodyDeadline lifts the read deadline Huma sets for reading a request's body (5 s by
// default) once Huma has read the body. Left in place, it can outlive the body: the
// connection's background read (net/http's watch for a client going away) then times out
// while the handler still runs, which cancels the context of that request and of every
// later request on the connection, so a handler slower than 5 s (one waiting out a
// database restart) answered 499, and so did the requests after it on that keep-alive
// connection, at once. Seen in the analytics crash test.
func endBodyDeadline(ctx huma.Context, next func(huma.Context)) {
	next(&bodyDeadline{humaContext: ctx})
}

// humaContext names huma.Context for embedding (its Context method would clash with a
// field named Context).
type humaContext = huma.Context

type bodyDeadline struct{ humaContext }

func (c *bodyDeadline) BodyReader() io.Reader {
	return &deadlineLifter{r: c.humaContext.BodyReader(), ctx: c.humaContext}
}

// deadlineLifter is a request body that lifts the connection's read deadline when Huma
// closes it, which it does once it has read the body.
type deadlineLifter struct {
	r   io.Reader
	ctx huma.Context
}

func (d *deadlineLifter) Read(p []byte) (int, error) { return d.r.Read(p) }

func (d *deadlineLifter) Close() error {
	_ = d.ctx.SetReadDeadline(time.Time{})
	if c, ok := d.r.(io.Closer); ok {
		return c.Close()
	}
	return nil
}
