package users_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/services/users"
)

func TestAvatarURLMustBeAnHTTPURL(t *testing.T) {
	t.Parallel()
	e := newEnv(t, users.LoginLimits{})
	s := e.register("pic@example.com", "")
	public := fmt.Sprintf("/api/v1/users/%d", s.User.ID)
	for _, bad := range []string{
		"javascript:alert(1)",
		"JavaScript:alert(document.cookie)",
		"data:text/html,<script>alert(1)</script>",
		"vbscript:msgbox(1)",
		"ftp://files.example.com/me.png",
		"//evil.example.com/me.png",
		"/me.png",
		"https://",
		"https:///me.png",
		" https://cdn.example.com/me.png",
		"https://cdn.example.com/" + strings.Repeat("a", 2048),
	} {
		r := e.do("PATCH", "/api/v1/users/me", s.Token, map[string]any{"avatar_url": bad})
		if r.Status != http.StatusBadRequest || r.Error.Code != "validation_failed" || len(r.Error.Details) == 0 || r.Error.Details[0].Field != "avatar_url" {
			t.Errorf("avatar_url %.40q: got %d %s, want 400 validation_failed naming avatar_url", bad, r.Status, r.Raw)
		}
	}
	if r := e.do("GET", public, "", nil); r.Status != http.StatusOK || !strings.Contains(string(r.Data), `"avatar_url":""`) {
		t.Fatalf("public profile after refused avatars: got %d %s", r.Status, r.Data)
	}

	for _, good := range []string{"https://cdn.example.com/me.png?size=64", "http://example.org/a.jpg", ""} {
		r := e.do("PATCH", "/api/v1/users/me", s.Token, map[string]any{"avatar_url": good})
		if r.Status != http.StatusOK || !strings.Contains(string(r.Data), fmt.Sprintf(`"avatar_url":%q`, good)) {
			t.Errorf("avatar_url %q: got %d %s, want 200", good, r.Status, r.Raw)
		}
	}

	// A script URL stored before the check is not served either.
	if _, err := e.db.Exec(context.Background(), `UPDATE users SET avatar_url = 'javascript:alert(1)' WHERE id = $1`, s.User.ID); err != nil {
		t.Fatal(err)
	}
	if r := e.do("GET", public, "", nil); r.Status != http.StatusOK || strings.Contains(string(r.Data), "javascript") {
		t.Fatalf("public profile with a stored script URL: got %d %s", r.Status, r.Data)
	}
}

func TestTokenOfADeletedAccountIs401(t *testing.T) {
	t.Parallel()
	e := newEnv(t, users.LoginLimits{})
	gone := e.register("gone@example.com", "")
	other := e.register("other@example.com", "")
	admin, _, err := users.CreateAdmin(context.Background(), e.db, "root@example.com", "Root", "password123")
	if err != nil {
		t.Fatal(err)
	}
	adminToken, _ := e.signer.Sign(auth.Identity{UserID: admin.ID, Role: "admin"})
	if _, err := e.db.Exec(context.Background(), `DELETE FROM users WHERE id = ANY($1)`, []int64{gone.User.ID, admin.ID}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		method, path, token string
		body                any
	}{
		{"GET", "/api/v1/users/me", gone.Token, nil},
		{"PATCH", "/api/v1/users/me", gone.Token, map[string]string{"bio": "still here?"}},
		{"GET", "/api/v1/users", adminToken, nil},
		{"PATCH", fmt.Sprintf("/api/v1/users/%d/role", other.User.ID), adminToken, map[string]string{"role": "organizer"}},
	} {
		r := e.do(c.method, c.path, c.token, c.body)
		if r.Status != http.StatusUnauthorized || r.Error.Code != "unauthorized" || !strings.Contains(r.Error.Message, "no longer exists") {
			t.Errorf("%s %s by a deleted account: got %d %s, want 401 \"your account no longer exists\"", c.method, c.path, r.Status, r.Raw)
		}
	}
	var role string
	if err := e.db.QueryRow(context.Background(), `SELECT role FROM users WHERE id = $1`, other.User.ID).Scan(&role); err != nil || role != "attendee" {
		t.Errorf("role set by a deleted admin: got %q (%v), want attendee", role, err)
	}
}
