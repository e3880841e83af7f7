package httpapi

import (
	"reflect"

	"github.com/danielgtaylor/huma/v2"
)

// RawJSON is a response the handler already holds as JSON (a page it keeps encoded, a
// body built by hand): huma writes a []byte body as it is, where it would encode a
// json.RawMessage again.
type RawJSON struct {
	ContentType string `header:"Content-Type"`
	Body        []byte
}

// JSON returns a response with body, which is JSON.
func JSON(body []byte) *RawJSON { return &RawJSON{ContentType: "application/json", Body: body} }

// Documented describes the 200 response of a route answering with RawJSON as the JSON of
// v's type, under name in api's schemas.
func Documented(api huma.API, v any, name string) map[string]*huma.Response {
	schema := api.OpenAPI().Components.Schemas.Schema(reflect.TypeOf(v), true, name)
	return map[string]*huma.Response{"200": {Description: "OK", Content: map[string]*huma.MediaType{"application/json": {Schema: schema}}}}
}
