package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/events-platform/events-platform/internal/httpapi"
)

// Response is one API response with its envelope decoded.
type Response struct {
	Status  int
	Header  http.Header
	Raw     []byte
	Success bool            `json:"success"`
	Data    json.RawMessage `json:"data"`
	Page    httpapi.Page    `json:"page"`
	Error   httpapi.Problem `json:"error"`
}

// Client sends API requests to one server.
type Client struct {
	Base string // prefixed to every path; empty for absolute URLs
	HTTP *http.Client
}

// NewClient returns a client for base that keeps enough idle connections for tests that
// send hundreds of requests at once.
func NewClient(base string) *Client {
	return &Client{Base: base, HTTP: &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: 200}, Timeout: 60 * time.Second,
	}}
}

// Request sends one API request and decodes its envelope (when the response is JSON; Raw
// holds the body either way). body is JSON-encoded unless it is a string (sent as is);
// headers are name, value pairs. It returns errors rather than failing a test, so
// goroutines may call it.
func (c *Client) Request(method, path, token string, body any, headers ...string) (Response, error) {
	url := c.Base + path
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			return Response{}, err
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return Response{}, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		return Response{}, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer res.Body.Close()
	r := Response{Status: res.StatusCode, Header: res.Header}
	if r.Raw, err = io.ReadAll(res.Body); err != nil {
		return r, fmt.Errorf("%s %s: read body: %w", method, url, err)
	}
	if ct := res.Header.Get("Content-Type"); strings.HasPrefix(ct, "application/json") || ct == "" {
		if err := json.Unmarshal(r.Raw, &r); err != nil {
			return r, fmt.Errorf("%s %s: body is not JSON (%d): %q", method, url, r.Status, r.Raw)
		}
	}
	return r, nil
}

// Do is Request for the test's own goroutine: it fails the test on a transport error or a
// JSON response that does not decode.
func (c *Client) Do(t testing.TB, method, path, token string, body any, headers ...string) Response {
	t.Helper()
	r, err := c.Request(method, path, token, body, headers...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Do sends a request to an absolute URL with a default client.
func Do(t testing.TB, method, url, token string, body any, headers ...string) Response {
	t.Helper()
	return defaultClient.Do(t, method, url, token, body, headers...)
}

var defaultClient = NewClient("")

// Data decodes the response's data into a T.
func Data[T any](t testing.TB, r Response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.Data, &v); err != nil {
		t.Fatalf("decode data %s: %v", r.Data, err)
	}
	return v
}
