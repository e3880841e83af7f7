package httpserver

import (
	"bytes"
	"io"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCheckText checks the edge check on any query and body: it never panics, hands the
// handler the body byte for byte, and refuses only input that holds NUL or invalid UTF-8.
func FuzzCheckText(f *testing.F) {
	f.Add("q=tech", `{"title":"Jazz night","tags":["jazz"]}`)
	f.Add("q=%00", `{}`)
	f.Add("q=%FF%FE&city=%C3", `{"email":"a\u0000@b.c"}`)
	f.Add("a%00b=1", "{\"title\":\"caf\xc3\"}")
	f.Add("", `{"location":{"city":"\u0000"},"tags":["a",["b",{"c":"\u0000"}]]}`)
	f.Add("limit=99999999999999999999", `[1,2,{"a":[[[[[[[[[[]]]]]]]]]]}]`)
	f.Add("%zz=%", `{"a":`)
	f.Add("q=%ED%A0%80", `"\ud800"`)
	f.Fuzz(func(t *testing.T, query, body string) {
		r := httptest.NewRequest("POST", "/x", strings.NewReader(body))
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", "application/json")
		err := CheckText(r)
		passed, rerr := io.ReadAll(r.Body)
		if rerr != nil || !bytes.Equal(passed, []byte(body)) {
			t.Fatalf("handler would read %q (%v), sent %q", passed, rerr, body)
		}
		if err == nil {
			return
		}
		if err.GetStatus() != 400 || len(err.Problem.Details) != 1 {
			t.Fatalf("refusal %+v, want one 400 detail", err)
		}
		q, _ := url.ParseQuery(query)
		bad := strings.Contains(body, `\u0000`) || !utf8.ValidString(body)
		for k, vs := range q {
			bad = bad || !goodText(k)
			for _, v := range vs {
				bad = bad || !goodText(v)
			}
		}
		if !bad {
			t.Fatalf("refused good text: query %q body %q: %v", query, body, err)
		}
	})
}
