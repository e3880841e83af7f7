package httpserver

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// echoServer serves a JSON echo at POST /api/v1/things and a thing at GET /api/v1/things/{id},
// behind the process middleware and a nested service mux, as every service is.
func echoServer(t *testing.T) *Server {
	s, _, _ := newTestServer(t, nil)
	inner := http.NewServeMux()
	inner.HandleFunc("POST /api/v1/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Write(b)
	})
	inner.HandleFunc("GET /api/v1/echo/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(r.PathValue("id") + " " + r.URL.Query().Get("q")))
	})
	s.Mux.Handle("/api/v1/echo", RecordRoute(inner))
	s.Mux.Handle("/api/v1/echo/", RecordRoute(inner))
	return s
}

type envelope struct {
	Success bool `json:"success"`
	Error   struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details []struct {
			Field string `json:"field"`
		} `json:"details"`
	} `json:"error"`
}

func decodeEnvelope(t *testing.T, rec *httptest.ResponseRecorder) envelope {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q, want application/json; body %q", ct, rec.Body.String())
	}
	var e envelope
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("body is not the envelope: %v: %q", err, rec.Body.String())
	}
	return e
}

func TestBadTextIsRefusedNamingTheField(t *testing.T) {
	s := echoServer(t)
	tests := []struct {
		name, method, target, body, field string
	}{
		{"NUL in the query", "GET", "/api/v1/echo/1?q=%00", "", "q"},
		{"invalid UTF-8 in the query", "GET", "/api/v1/echo/1?q=%FF%FE", "", "q"},
		{"truncated UTF-8 in the query", "GET", "/api/v1/echo/1?city=%C3", "", "city"},
		{"NUL in a query key", "GET", "/api/v1/echo/1?a%00b=1", "", `query parameter "a\x00b"`},
		{"NUL in the path", "GET", "/api/v1/echo/1%00", "", "path"},
		{"invalid UTF-8 in the path", "GET", "/api/v1/echo/%C3", "", "path"},
		{"escaped NUL in a JSON string", "POST", "/api/v1/echo", `{"email":"a\u0000@b.c"}`, "email"},
		{"raw invalid UTF-8 in a JSON string", "POST", "/api/v1/echo", "{\"title\":\"caf\xc3\"}", "title"},
		{"NUL in a nested value", "POST", "/api/v1/echo", `{"location":{"name":"x","city":"\u0000"}}`, "location.city"},
		{"NUL in an array element", "POST", "/api/v1/echo", `{"tags":["a","b","\u0000"]}`, "tags[2]"},
		{"NUL in a key", "POST", "/api/v1/echo", `{"ti\u0000tle":"x"}`, "title"},
		{"NUL after nested values", "POST", "/api/v1/echo", `{"a":{"b":[1,{"c":null}]},"d":[true],"bio":"\u0000"}`, "bio"},
		{"NUL in a top-level string", "POST", "/api/v1/echo", `"\u0000"`, "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			rec := serve(s, req)
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400; body %s", rec.Code, rec.Body)
			}
			e := decodeEnvelope(t, rec)
			if e.Error.Code != "validation_failed" || len(e.Error.Details) != 1 || e.Error.Details[0].Field != tt.field {
				t.Errorf("got %+v, want validation_failed naming %q", e.Error, tt.field)
			}
		})
	}
}

func TestGoodTextPassesUnchanged(t *testing.T) {
	s := echoServer(t)
	body := `{"title":"Café \ud83c\udf89 «Jazz»","tags":["a","\ufffd"],"n":1.5e3,"nested":{"x":[{"y":"z"}]}}`
	req := httptest.NewRequest("POST", "/api/v1/echo", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	rec := serve(s, req)
	if rec.Code != http.StatusOK || rec.Body.String() != body {
		t.Errorf("got %d %q, want 200 and the body echoed", rec.Code, rec.Body)
	}
	rec = serve(s, httptest.NewRequest("GET", "/api/v1/echo/%C3%A9t%C3%A9?q=M%C3%BCnchen", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != "été München" {
		t.Errorf("got %d %q, want 200 %q", rec.Code, rec.Body, "été München")
	}
	// Not JSON: the handler's decoder reports it, with the bytes untouched.
	req = httptest.NewRequest("POST", "/api/v1/echo", strings.NewReader(`{"a":`))
	if rec = serve(s, req); rec.Code != http.StatusOK || rec.Body.String() != `{"a":` {
		t.Errorf("malformed JSON: got %d %q, want it passed on", rec.Code, rec.Body)
	}
}

func TestUnmatchedRequestsGetTheEnvelope(t *testing.T) {
	s := echoServer(t)
	tests := []struct {
		method, target string
		status         int
		code, allow    string
	}{
		{"GET", "/api/v1/echo/1/foo", 404, "not_found", ""},
		{"GET", "/api/v1/echo/", 404, "not_found", ""},
		{"GET", "/nowhere", 404, "not_found", ""},
		{"PUT", "/api/v1/echo/1", 405, "method_not_allowed", "GET, HEAD"},
		{"GET", "/api/v1/echo", 405, "method_not_allowed", "POST"},
	}
	for _, tt := range tests {
		rec := serve(s, httptest.NewRequest(tt.method, tt.target, nil))
		if rec.Code != tt.status {
			t.Errorf("%s %s: status = %d, want %d", tt.method, tt.target, rec.Code, tt.status)
			continue
		}
		if e := decodeEnvelope(t, rec); e.Success || e.Error.Code != tt.code {
			t.Errorf("%s %s: got %+v, want code %s", tt.method, tt.target, e, tt.code)
		}
		if got := rec.Header().Get("Allow"); got != tt.allow {
			t.Errorf("%s %s: Allow = %q, want %q", tt.method, tt.target, got, tt.allow)
		}
	}
}
