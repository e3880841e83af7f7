package search_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/events-platform/events-platform/internal/eventview"
)

// TestResultsShowTheEventAsEveryServiceDoes: a search result is the event as the events
// service shows it (eventview.Event, the full location with its address, the status, the
// description) plus how it matched.
func TestResultsShowTheEventAsEveryServiceDoes(t *testing.T) {
	e := newEnv(t)
	id := e.insert(ev{title: "Rooftop jazz", description: "Trio on the roof.", tags: []string{"jazz"}, category: "music"})[0]
	if _, err := e.db.Exec(context.Background(), `UPDATE events SET venue_name = 'Klunkerkranich', address = 'Karl-Marx-Straße 66',
		timezone = 'Europe/Berlin', currency = 'EUR' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	want, err := eventview.Scan(e.db.QueryRow(context.Background(), `SELECT `+eventview.Columns("")+` FROM events WHERE id = $1`, id))
	if err != nil {
		t.Fatal(err)
	}

	r := e.search("q", "jazz")
	var body struct {
		Data []map[string]json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal([]byte(r.Raw), &body); err != nil || len(body.Data) != 1 {
		t.Fatalf("search jazz: %v %s", err, r.Raw)
	}
	got := body.Data[0]
	for _, k := range []string{"score", "highlights"} {
		if _, ok := got[k]; !ok {
			t.Errorf("result has no %q: %s", k, r.Raw)
		}
		delete(got, k)
	}
	var wantFields map[string]json.RawMessage
	raw, _ := json.Marshal(want)
	if err := json.Unmarshal(raw, &wantFields); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(decode(t, got), decode(t, wantFields)) {
		t.Errorf("search shows the event as\n%s\nthe events service as\n%s", r.Raw, raw)
	}
	if want.Location == nil || want.Location.Address != "Karl-Marx-Straße 66" {
		t.Errorf("location = %+v, want the address", want.Location)
	}
}

func decode(t *testing.T, fields map[string]json.RawMessage) map[string]any {
	t.Helper()
	out := map[string]any{}
	for k, v := range fields {
		var x any
		if err := json.Unmarshal(v, &x); err != nil {
			t.Fatal(err)
		}
		out[k] = x
	}
	return out
}
