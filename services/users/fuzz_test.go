package users_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/events-platform/events-platform/test/integration"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/services/users"
)

// The fuzz targets send every body and query-string type of the service through its real
// handler, on a real database made once per target, and check that nothing is a 5xx and
// that every answer is the JSON envelope. make test runs each briefly; plain go test runs
// their seeds.
//
// Register and login hash or check a bcrypt password (PasswordCost, about 50 ms) for any
// body that passes the schema; there is no cheaper test setting, so those two targets are
// slower per input that decodes, and most mutated inputs fail validation first. Login runs
// with the default limits, so after a few dozen failures its inputs mostly meet the 429.

// serve sends one request to the service's handler with token (empty for anonymous).
func (e *env) serve(method, path, rawQuery, token string, body []byte) *httptest.ResponseRecorder {
	return integration.Serve(e.handler, method, path, rawQuery, token, body)
}

// addSeeds adds bodies, and the hostile ones every JSON endpoint must refuse or take
// without a 5xx: empty, not objects, truncated, NUL, invalid UTF-8, deeply nested, huge,
// unknown fields, numbers out of range, duplicate keys.
func addSeeds(f *testing.F, bodies ...[]byte) {
	hostile := [][]byte{
		nil, []byte(""), []byte("null"), []byte("{}"), []byte("[]"), []byte(`"x"`), []byte("0"), []byte("{"), []byte(`{"a":`),
		[]byte("\x00"), []byte("{\"email\":\"\xff\xfe\"}"), []byte(strings.Repeat("[", 5000) + strings.Repeat("]", 5000)),
		[]byte(`{"a":` + strings.Repeat(`{"a":`, 2000) + "1" + strings.Repeat("}", 2001)),
		[]byte(`{"unknown":1}`), []byte(`{"id":1e400}`), []byte(`{"email":"a@example.com","email":"b@example.com"}`),
		[]byte(`{"name":"` + strings.Repeat("x", 200_000) + `"}`),
		[]byte(`{"name":"` + strings.Repeat("x", 2<<20) + `"}`),
	}
	for _, b := range append(bodies, hostile...) {
		f.Add(b)
	}
}

// fuzzEnv is a service on its own database with a member and an administrator.
type fuzzEnv struct {
	*env
	member     session
	adminToken string
}

func newFuzzEnv(f *testing.F) fuzzEnv {
	e := newEnv(f, users.LoginLimits{})
	fe := fuzzEnv{env: e, member: e.register("member@example.com", "")}
	admin, _, err := users.CreateAdmin(context.Background(), e.db, "root@example.com", "Root", "password123")
	if err != nil {
		f.Fatal(err)
	}
	fe.adminToken, _ = e.signer.Sign(auth.Identity{UserID: admin.ID, Role: "admin"})
	return fe
}

func FuzzRegister(f *testing.F) {
	e := newFuzzEnv(f)
	addSeeds(f,
		integration.MustJSON(map[string]string{"email": "new@example.com", "password": "password123", "name": "New Person"}),
		integration.MustJSON(map[string]string{"email": "Org@Example.com", "password": "password123", "name": "Org", "role": "organizer"}),
		integration.MustJSON(map[string]string{"email": "member@example.com", "password": "password123", "name": "Taken"}),
		integration.MustJSON(map[string]string{"email": "root2@example.com", "password": "password123", "name": "X", "role": "admin"}),
		integration.MustJSON(map[string]string{"email": "nul\u0000@example.com", "password": "password123", "name": "Nul"}),
		integration.MustJSON(map[string]string{"email": "nul2@example.com", "password": "pass\u0000word123", "name": "Nul\u0000Name"}),
		[]byte("{\"email\":\"utf@example.com\",\"password\":\"password123\",\"name\":\"caf\xc3\x28\"}"),
		integration.MustJSON(map[string]string{"email": "Bob <bob@example.com>", "password": "password123", "name": "Bob"}),
		integration.MustJSON(map[string]string{"email": "js@example.com", "password": "password123", "name": "javascript:alert(1)"}),
		integration.MustJSON(map[string]string{"email": "long@example.com", "password": strings.Repeat("é", 40), "name": "Long"}),
		integration.MustJSON(map[string]string{"email": strings.Repeat("a", 300) + "@example.com", "password": "password123", "name": "A"}),
		integration.MustJSON(map[string]string{"email": "blank@example.com", "password": "password123", "name": "   "}),
		integration.MustJSON(map[string]any{"email": 1, "password": true, "name": []string{"x"}, "role": nil}),
		integration.MustJSON(map[string]any{"email": "extra@example.com", "password": "password123", "name": "X", "is_admin": true}),
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		integration.CheckEnvelope(t, e.serve("POST", "/api/v1/auth/register", "", "", body), string(body))
	})
}

func FuzzLogin(f *testing.F) {
	e := newFuzzEnv(f)
	addSeeds(f,
		integration.MustJSON(map[string]string{"email": "member@example.com", "password": "password123"}),
		integration.MustJSON(map[string]string{"email": " MEMBER@example.com ", "password": "wrong-password"}),
		integration.MustJSON(map[string]string{"email": "nobody@example.com", "password": "password123"}),
		integration.MustJSON(map[string]string{"email": "member@example.com\u0000", "password": "password123"}),
		integration.MustJSON(map[string]string{"email": "member@example.com", "password": "\u0000"}),
		[]byte("{\"email\":\"\xff@example.com\",\"password\":\"\xfe\"}"),
		integration.MustJSON(map[string]string{"email": "", "password": ""}),
		integration.MustJSON(map[string]string{"email": "member@example.com", "password": strings.Repeat("p", 2000)}),
		integration.MustJSON(map[string]any{"email": []string{"member@example.com"}, "password": 123}),
		integration.MustJSON(map[string]any{"email": "member@example.com", "password": "password123", "remember": true}),
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		integration.CheckEnvelope(t, e.serve("POST", "/api/v1/auth/login", "", "", body), string(body))
	})
}

// refreshSeeds are refresh and logout bodies: a live token, a used one, and hostile ones.
func refreshSeeds(e fuzzEnv) [][]byte {
	live := e.register("tokens@example.com", "")
	return [][]byte{
		integration.MustJSON(map[string]string{"refresh_token": live.RefreshToken}),
		integration.MustJSON(map[string]string{"refresh_token": e.member.RefreshToken}),
		integration.MustJSON(map[string]string{"refresh_token": "garbage"}),
		integration.MustJSON(map[string]string{"refresh_token": ""}),
		integration.MustJSON(map[string]string{"refresh_token": "\u0000"}),
		[]byte("{\"refresh_token\":\"\xff\xfe\xfd\"}"),
		integration.MustJSON(map[string]string{"refresh_token": strings.Repeat("t", 10_000)}),
		integration.MustJSON(map[string]any{"refresh_token": 42}),
		integration.MustJSON(map[string]any{"refresh_token": nil, "all": true}),
		integration.MustJSON(map[string]string{"refresh_token": "javascript:alert(1)"}),
	}
}

func FuzzRefresh(f *testing.F) {
	e := newFuzzEnv(f)
	addSeeds(f, refreshSeeds(e)...)
	f.Fuzz(func(t *testing.T, body []byte) {
		integration.CheckEnvelope(t, e.serve("POST", "/api/v1/auth/refresh", "", "", body), string(body))
	})
}

func FuzzLogout(f *testing.F) {
	e := newFuzzEnv(f)
	addSeeds(f, refreshSeeds(e)...)
	f.Fuzz(func(t *testing.T, body []byte) {
		integration.CheckEnvelope(t, e.serve("POST", "/api/v1/auth/logout", "", "", body), string(body))
	})
}

func FuzzUpdateMe(f *testing.F) {
	e := newFuzzEnv(f)
	addSeeds(f,
		integration.MustJSON(map[string]any{"name": "Member", "bio": "Jazz and Go.", "city": "Berlin", "interests": []string{"music", "tech"}}),
		integration.MustJSON(map[string]any{"avatar_url": "https://cdn.example.com/me.png"}),
		integration.MustJSON(map[string]any{"avatar_url": ""}),
		integration.MustJSON(map[string]any{"avatar_url": "javascript:alert(1)"}),
		integration.MustJSON(map[string]any{"avatar_url": "data:text/html,<script>alert(1)</script>"}),
		integration.MustJSON(map[string]any{"avatar_url": "https://\u0000/x"}),
		integration.MustJSON(map[string]any{"avatar_url": "https://cdn.example.com/" + strings.Repeat("a", 5000)}),
		integration.MustJSON(map[string]any{"name": "  ", "bio": nil}),
		integration.MustJSON(map[string]any{"name": "Nul\u0000", "bio": "\u0000", "city": "Ber\u0000lin"}),
		integration.MustJSON(map[string]any{"interests": []string{"\u0000", ""}}),
		integration.MustJSON(map[string]any{"interests": []string{strings.Repeat("i", 51)}}),
		integration.MustJSON(map[string]any{"interests": make([]string, 51)}),
		integration.MustJSON(map[string]any{"interests": "music", "name": 5, "bio": []int{1}}),
		[]byte("{\"bio\":\"\xff\xfe\",\"interests\":[\"caf\xc3\"]}"),
		integration.MustJSON(map[string]any{"bio": strings.Repeat("b", 2001)}),
		integration.MustJSON(map[string]any{"role": "admin", "email": "x@example.com", "id": 1}),
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		integration.CheckEnvelope(t, e.serve("PATCH", "/api/v1/users/me", "", e.member.Token, body), string(body))
	})
}

func FuzzSetRole(f *testing.F) {
	e := newFuzzEnv(f)
	path := fmt.Sprintf("/api/v1/users/%d/role", e.member.User.ID)
	addSeeds(f,
		integration.MustJSON(map[string]string{"role": "organizer"}),
		integration.MustJSON(map[string]string{"role": "attendee"}),
		integration.MustJSON(map[string]string{"role": "admin"}),
		integration.MustJSON(map[string]string{"role": "king"}),
		integration.MustJSON(map[string]string{"role": "admin\u0000"}),
		integration.MustJSON(map[string]string{"role": ""}),
		[]byte("{\"role\":\"\xff\"}"),
		integration.MustJSON(map[string]any{"role": 1}),
		integration.MustJSON(map[string]any{"role": []string{"admin"}}),
		integration.MustJSON(map[string]any{"role": "organizer", "id": 1}),
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		integration.CheckEnvelope(t, e.serve("PATCH", path, "", e.adminToken, body), string(body))
	})
}

func FuzzListUsers(f *testing.F) {
	e := newFuzzEnv(f)
	for _, q := range []string{
		"", "limit=20", "limit=1&role=admin", "q=member", "q=MEM&role=attendee&limit=100",
		"cursor=dTE", "cursor=dTk5OTk5OTk5OTk5OTk5OTk5OTk5OQ", "cursor=!!bad", "cursor=%00",
		"q=%00", "q=%FF%FE", "q=caf%C3", "role=%00", "q=%25_%5C", "q=javascript:alert(1)",
		"limit=0", "limit=-1", "limit=10000", "limit=abc", "limit=99999999999999999999", "limit=1e3",
		"role=king", "q=" + strings.Repeat("x", 101), "q=" + strings.Repeat("%41", 100_000),
		"q=a&q=b", "%zz=%", "q", "limit=&cursor=&role=&q=", "unknown=1",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, query string) {
		integration.CheckEnvelope(t, e.serve("GET", "/api/v1/users", query, e.adminToken, nil), query)
	})
}
