package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
)

// EncodeCursor makes an opaque page cursor of a position: its JSON, base64url without
// padding. Clients pass it back as it is.
func EncodeCursor[T any](position T) string {
	b, _ := json.Marshal(position)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a cursor EncodeCursor made for a T. Anything else (not base64, not
// JSON, unknown fields, trailing data) is a 400 naming the field "cursor".
func DecodeCursor[T any](cursor string) (T, error) {
	var position T
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err == nil {
		d := json.NewDecoder(bytes.NewReader(b))
		d.DisallowUnknownFields()
		if err = d.Decode(&position); err == nil && d.More() {
			err = errTrailing
		}
	}
	if err != nil {
		return position, BadCursor()
	}
	return position, nil
}

// BadCursor is the answer to a cursor that is not one of ours, or not for this list.
func BadCursor() *Error {
	const msg = "cursor is malformed; use next_cursor from the previous page"
	return BadRequest(msg, Detail{Field: "cursor", Message: msg})
}

var errTrailing = errors.New("trailing data after the cursor")
