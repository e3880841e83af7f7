package httpserver

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/events-platform/events-platform/internal/httpapi"
)

// maxCheckedBody is the largest JSON body CheckText reads to look for bad text. Larger
// bodies pass unread: every service refuses them as too large before decoding them.
const maxCheckedBody = 1 << 20

// CheckText refuses a request whose path, query or JSON body holds text PostgreSQL cannot
// store: bytes that are not UTF-8, or NUL characters (raw, %00 or \u0000). The error is a
// 400 validation_failed that names the field. It reads a JSON body and puts it back, so
// the handler decodes the same bytes.
func CheckText(r *http.Request) *httpapi.Error {
	if !goodText(r.URL.Path) {
		return badText("path")
	}
	if r.URL.RawQuery != "" {
		// Malformed escapes are the handler's to report; what does decode is checked.
		q, _ := url.ParseQuery(r.URL.RawQuery)
		for key, values := range q {
			if !goodText(key) {
				return badText("query parameter " + strconv.Quote(strings.ToValidUTF8(key, "\uFFFD")))
			}
			for _, v := range values {
				if !goodText(v) {
					return badText(key)
				}
			}
		}
	}
	if r.Body == nil || r.Body == http.NoBody || !isJSON(r.Header.Get("Content-Type")) {
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxCheckedBody+1))
	if err != nil || len(body) > maxCheckedBody {
		// Too large, or the read failed: give the handler the bytes read and the rest,
		// and let it answer as it does for any such body.
		r.Body = readCloser{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
		return nil
	}
	r.Body = readCloser{bytes.NewReader(body), r.Body}
	if field, ok := checkJSON(body); !ok {
		return badText(field)
	}
	return nil
}

func badText(field string) *httpapi.Error {
	msg := field + " must be valid UTF-8 text without NUL characters"
	return httpapi.BadRequest(msg, httpapi.Detail{Field: field, Message: msg})
}

// goodText reports whether s is valid UTF-8 with no NUL character.
func goodText(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

// isJSON reports whether a Content-Type is JSON (or missing, which the services decode as
// JSON).
func isJSON(contentType string) bool {
	if contentType == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

type readCloser struct {
	io.Reader
	io.Closer
}

// checkJSON walks a JSON document and reports the first key or string value that is not
// good text, by its path ("title", "location.city", "tags[2]"). A document that is not
// valid JSON is left to the handler's decoder (ok).
func checkJSON(body []byte) (field string, ok bool) {
	// Most bodies are good throughout: valid UTF-8, no NUL byte and no \u0000 escape
	// means no string in them can be bad, and walking the tokens (a fifth of the CPU of a
	// service taking batches) is only needed to name the field of one that is.
	if utf8.Valid(body) && bytes.IndexByte(body, 0) < 0 && !bytes.Contains(body, []byte(`\u0000`)) {
		return "", true
	}
	type frame struct {
		object bool
		key    string // object: the current member's key
		index  int    // array: the current element
		isKey  bool   // object: the next string is a key
	}
	var stack []frame
	path := func(last string) string {
		var b strings.Builder
		for i, f := range stack {
			switch {
			case f.object && i == len(stack)-1 && last != "":
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(last)
			case f.object:
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			default:
				b.WriteString("[" + strconv.Itoa(f.index) + "]")
			}
		}
		if b.Len() == 0 {
			return "body"
		}
		return strings.ToValidUTF8(strings.ReplaceAll(b.String(), "\x00", ""), "\uFFFD")
	}
	// done moves the innermost container past the value just read.
	done := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].object {
				stack[n-1].isKey = true
			} else {
				stack[n-1].index++
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return "", true // the end, or not JSON: the decoder behind us will say so
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, frame{object: true, isKey: true})
			case '[':
				stack = append(stack, frame{})
			default:
				stack = stack[:len(stack)-1]
				done()
			}
		case string:
			// The decoder turns invalid UTF-8 into U+FFFD, so the raw bytes decide.
			good := goodText(t) && utf8.Valid(body[before:dec.InputOffset()])
			n := len(stack)
			if n > 0 && stack[n-1].object && stack[n-1].isKey {
				if !good {
					return path(strings.ToValidUTF8(t, "\uFFFD")), false
				}
				stack[n-1].key, stack[n-1].isKey = t, false
				continue
			}
			if !good {
				return path(""), false
			}
			done()
		default:
			done()
		}
	}
}
