package integration

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Serve sends one request straight to a service's handler, with a bearer token (empty:
// anonymous) and a JSON body (nil: none): what the fuzz targets send.
func Serve(h http.Handler, method, path, rawQuery, token string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.URL.RawQuery = rawQuery
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// WaitFor polls ok until it holds, failing t after 15 seconds; what names it in the
// failure.
func WaitFor(t testing.TB, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// CheckEnvelope fails t unless rec is what the API contract promises for any input: not a
// server error (no 5xx), and a JSON envelope, success true for a 2xx and false with an
// error code and message otherwise. A CSV export, the one non-JSON answer, passes on
// success. The fuzz targets of every service call it; input names the request in failures.
func CheckEnvelope(t testing.TB, rec *httptest.ResponseRecorder, input string) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("%s: got %d %s", input, rec.Code, rec.Body)
	}
	ct := rec.Header().Get("Content-Type")
	if rec.Code < 300 && strings.HasPrefix(ct, "text/csv") {
		return
	}
	if !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s: %d with Content-Type %q: %q", input, rec.Code, ct, rec.Body)
	}
	var env struct {
		Success *bool           `json:"success"`
		Data    json.RawMessage `json:"data"`
		Error   *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.Success == nil {
		t.Fatalf("%s: %d body is not the envelope (%v): %q", input, rec.Code, err, rec.Body)
	}
	switch ok := rec.Code < 300; {
	case ok && (!*env.Success || env.Data == nil) && rec.Code != 204:
		t.Fatalf("%s: %d without success and data: %s", input, rec.Code, rec.Body)
	case !ok && (*env.Success || env.Error == nil || env.Error.Code == "" || env.Error.Message == ""):
		t.Fatalf("%s: %d without an error code and message: %s", input, rec.Code, rec.Body)
	}
}

// MustJSON encodes v, for request bodies a test builds from Go values.
func MustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
