package curation

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"
)

// Collections: only editors write; a draft is theirs; a published one shows its
// upcoming, published, public, approved events in the editors' order, and an event that
// started, was cancelled or held drops out by itself; a slug is unique.
func TestCollections(t *testing.T) {
	e := newEnv(t)
	org, orgTok := e.user("organizer")
	_, editor := e.user("editor")
	_, admin := e.user("admin")
	_, attendee := e.user("attendee")
	a := e.event(ev{organizer: org, city: "Berlin"})
	b := e.event(ev{organizer: org, city: "Berlin"})
	cStarts := time.Now().Add(5 * time.Second)
	c := e.event(ev{organizer: org, city: "Berlin", in: 5 * time.Second})
	held := e.event(ev{organizer: org, city: "Berlin", moderation: "held"})

	body := map[string]any{"slug": "winter-jazz", "title": "Winter jazz", "description": "Warm rooms, cool music", "city": "Berlin"}
	for _, tok := range []string{attendee, orgTok} {
		if r := e.api.Do(t, "POST", "/api/v1/collections", tok, body); r.Status != http.StatusForbidden {
			t.Errorf("create by a non-editor: %d, want 403", r.Status)
		}
	}
	if r := e.api.Do(t, "POST", "/api/v1/collections", "", body); r.Status != http.StatusUnauthorized {
		t.Errorf("create signed out: %d, want 401", r.Status)
	}
	if r := e.api.Do(t, "POST", "/api/v1/collections", editor, body); r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Raw)
	}
	if r := e.api.Do(t, "POST", "/api/v1/collections", admin, body); r.Status != http.StatusConflict {
		t.Errorf("the same slug again: %d, want 409", r.Status)
	}
	for name, bad := range map[string]map[string]any{
		"bad slug":  {"slug": "Winter Jazz", "title": "x"},
		"no title":  {"slug": "no-title"},
		"bad cover": {"slug": "cover", "title": "x", "cover_url": "javascript:alert(1)"},
	} {
		if r := e.api.Do(t, "POST", "/api/v1/collections", editor, bad); r.Status != 422 && r.Status != 400 {
			t.Errorf("%s: %d, want 400/422", name, r.Status)
		}
	}

	// A draft is the editors'.
	if r := e.api.Do(t, "GET", "/api/v1/collections/winter-jazz", "", nil); r.Status != http.StatusNotFound {
		t.Errorf("a draft, signed out: %d, want 404", r.Status)
	}
	for _, id := range []int64{b, a, c} {
		if r := e.api.Do(t, "PUT", fmt.Sprintf("/api/v1/collections/winter-jazz/events/%d", id), editor, nil); r.Status != 200 {
			t.Fatalf("add %d: %d %s", id, r.Status, r.Raw)
		}
	}
	if r := e.api.Do(t, "PUT", fmt.Sprintf("/api/v1/collections/winter-jazz/events/%d", held), editor, nil); r.Status != http.StatusConflict {
		t.Errorf("add a held event: %d, want 409", r.Status)
	}
	if r := e.api.Do(t, "PUT", fmt.Sprintf("/api/v1/collections/winter-jazz/events/%d", a), orgTok, nil); r.Status != http.StatusForbidden {
		t.Errorf("add by an organizer: %d, want 403", r.Status)
	}
	// a moves to the front.
	if r := e.api.Do(t, "PUT", fmt.Sprintf("/api/v1/collections/winter-jazz/events/%d", a), editor, map[string]int{"position": 1}); r.Status != 200 {
		t.Fatalf("move: %d %s", r.Status, r.Raw)
	}
	if r := e.api.Do(t, "POST", "/api/v1/collections/winter-jazz/publish", attendee, nil); r.Status != http.StatusForbidden {
		t.Errorf("publish by an attendee: %d, want 403", r.Status)
	}
	if r := e.api.Do(t, "POST", "/api/v1/collections/winter-jazz/publish", editor, nil); r.Status != 200 {
		t.Fatalf("publish: %d %s", r.Status, r.Raw)
	}
	if msgs := e.outbox("platform.collection.published"); len(msgs) != 1 || msgs[0]["slug"] != "winter-jazz" {
		t.Errorf("domain events: %v, want one platform.collection.published", msgs)
	}
	page := func(tok string) CollectionPage {
		t.Helper()
		r := e.api.Do(t, "GET", "/api/v1/collections/winter-jazz", tok, nil)
		if r.Status != 200 {
			t.Fatalf("get: %d %s", r.Status, r.Raw)
		}
		var p CollectionPage
		if err := json.Unmarshal(r.Data, &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	shown := func(p CollectionPage) []int64 {
		var out []int64
		for _, x := range p.Events {
			out = append(out, x.ID)
		}
		return out
	}
	if p := page(""); !slices.Equal(shown(p), []int64{a, b, c}) || p.EventCount != 3 || p.Items != nil {
		t.Errorf("public: events %v count %d items %v, want [%d %d %d], 3, no items", shown(p), p.EventCount, p.Items, a, b, c)
	}

	// b is cancelled, c starts: both drop out; the editors still see them, not shown.
	e.exec(`UPDATE events SET status = 'cancelled' WHERE id = $1`, b)
	time.Sleep(time.Until(cStarts))
	if p := page(""); !slices.Equal(shown(p), []int64{a}) || p.EventCount != 1 {
		t.Errorf("after cancelling %d and %d starting: %v (count %d), want [%d]", b, c, shown(p), p.EventCount, a)
	}
	if p := page(editor); len(p.Items) != 3 || p.Items[1].Shown {
		t.Errorf("editor's items: %+v, want 3 with %d not shown", p.Items, b)
	}

	// The list, public and drafts.
	r := e.api.Do(t, "GET", "/api/v1/collections?city=berlin", "", nil)
	var list []Collection
	if err := json.Unmarshal(r.Data, &list); err != nil || len(list) != 1 || list[0].Slug != "winter-jazz" {
		t.Errorf("list: %s", r.Raw)
	}
	if r := e.api.Do(t, "GET", "/api/v1/collections?status=draft", attendee, nil); r.Status != http.StatusForbidden {
		t.Errorf("drafts for an attendee: %d, want 403", r.Status)
	}
	if r := e.api.Do(t, "POST", "/api/v1/collections/winter-jazz/unpublish", editor, nil); r.Status != 200 {
		t.Fatalf("unpublish: %d", r.Status)
	}
	if r := e.api.Do(t, "GET", "/api/v1/collections/winter-jazz", "", nil); r.Status != http.StatusNotFound {
		t.Errorf("unpublished: %d, want 404", r.Status)
	}
	if r := e.api.Do(t, "PATCH", "/api/v1/collections/winter-jazz", editor, map[string]string{"slug": "cold-jazz", "title": "Cold jazz"}); r.Status != 200 {
		t.Fatalf("rename: %d %s", r.Status, r.Raw)
	}
	if r := e.api.Do(t, "DELETE", fmt.Sprintf("/api/v1/collections/cold-jazz/events/%d", a), editor, nil); r.Status != 200 {
		t.Errorf("remove: %d", r.Status)
	}
	if r := e.api.Do(t, "DELETE", fmt.Sprintf("/api/v1/collections/cold-jazz/events/%d", a), editor, nil); r.Status != 404 {
		t.Errorf("remove again: %d, want 404", r.Status)
	}
	if r := e.api.Do(t, "DELETE", "/api/v1/collections/cold-jazz", editor, nil); r.Status != 200 {
		t.Errorf("delete: %d", r.Status)
	}
	if r := e.api.Do(t, "DELETE", "/api/v1/collections/cold-jazz", editor, nil); r.Status != 404 {
		t.Errorf("delete again: %d, want 404", r.Status)
	}
}
