package gateway

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/config"
)

// TestRejectsForgedTokens sends tokens an attacker could make; each must stop at the
// gateway with 401 and never reach the service.
func TestRejectsForgedTokens(t *testing.T) {
	users, usersURL := startService(t, "users")
	h := setup(t, config.Gateway{}, Options{Upstreams: []Upstream{{Name: "users", URL: usersURL}}})
	pub := h.key.Public().(ed25519.PublicKey)
	kid := auth.KeyID(pub)
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	now := time.Now()
	claims := jwt.MapClaims{
		"iss": issuer, "sub": "1", "role": auth.RoleAdmin,
		"iat": now.Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	sign := func(method jwt.SigningMethod, key any, kid string) string {
		tok := jwt.NewWithClaims(method, claims)
		tok.Header["kid"] = kid
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatalf("sign %s: %v", method.Alg(), err)
		}
		return s
	}
	pubPEM, err := auth.EncodePublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	valid := h.token(auth.Identity{UserID: 7, Role: auth.RoleAttendee})
	tampered := func() string {
		parts := strings.Split(valid, ".")
		payload, _ := json.Marshal(jwt.MapClaims{"iss": issuer, "sub": "1", "role": auth.RoleAdmin,
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
		parts[1] = base64.RawURLEncoding.EncodeToString(payload)
		return strings.Join(parts, ".")
	}()

	tests := []struct {
		name  string
		token string
	}{
		{"alg none", sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, kid)},
		{"signed by another key under our kid", sign(jwt.SigningMethodEdDSA, otherKey, kid)},
		{"unknown kid", mustSign(t, auth.NewSigner(otherKey, issuer, time.Minute), auth.Identity{UserID: 1, Role: auth.RoleAdmin})},
		{"expired", mustSign(t, auth.NewSigner(h.key, issuer, -time.Minute), auth.Identity{UserID: 1, Role: auth.RoleAdmin})},
		{"tampered payload", tampered},
		{"HS256 keyed with the raw public key", sign(jwt.SigningMethodHS256, []byte(pub), kid)},
		{"HS256 keyed with the PEM public key", sign(jwt.SigningMethodHS256, pubPEM, kid)},
		{"wrong issuer", mustSign(t, auth.NewSigner(h.key, "someone-else", time.Minute), auth.Identity{UserID: 1, Role: auth.RoleAdmin})},
		{"not a JWT", "not-a-token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := users.hits.Load()
			res := h.do(http.MethodGet, "/api/v1/users/me", nil, "Authorization", "Bearer "+tt.token)
			if res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status = %d, want 401", res.StatusCode)
			}
			if got := decodeError(t, res).Error.Code; got != "unauthorized" {
				t.Errorf("error code = %q, want unauthorized", got)
			}
			if got := res.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
				t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", got)
			}
			if got := users.hits.Load() - before; got != 0 {
				t.Errorf("service reached %d times, want 0", got)
			}
		})
	}

	// The same route with the genuine token goes through, so the 401s above are about
	// the tokens.
	res := h.do(http.MethodGet, "/api/v1/users/me", nil, "Authorization", "Bearer "+valid)
	if got := decodeSeen(t, res).UserID; got != "7" {
		t.Errorf("valid token: service saw X-User-ID %q, want 7", got)
	}
}

func mustSign(t *testing.T, s *auth.Signer, id auth.Identity) string {
	t.Helper()
	tok, err := s.Sign(id)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestPassesVerifiedIdentity checks that services see who the token names, never what the
// client claims in headers.
func TestPassesVerifiedIdentity(t *testing.T) {
	_, eventsURL := startService(t, "events")
	h := setup(t, config.Gateway{}, Options{Upstreams: []Upstream{{Name: "events", URL: eventsURL}}})
	forged := []string{"X-User-ID", "999", "X-User-Role", auth.RoleAdmin, "X_User_ID", "998"}
	tests := []struct {
		name         string
		headers      []string
		wantUserID   string
		wantUserRole string
	}{
		{"anonymous with forged headers", forged, "", ""},
		{"token with forged headers",
			append([]string{"Authorization", "Bearer " + h.token(auth.Identity{UserID: 42, Role: auth.RoleOrganizer})}, forged...),
			"42", auth.RoleOrganizer},
		{"token with a Connection header naming the identity headers",
			[]string{"Authorization", "Bearer " + h.token(auth.Identity{UserID: 42, Role: auth.RoleOrganizer}), "Connection", "X-User-ID, X-User-Role"},
			"42", auth.RoleOrganizer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := decodeSeen(t, h.do(http.MethodGet, "/api/v1/events", nil, tt.headers...))
			if s.UserID != tt.wantUserID || s.UserRole != tt.wantUserRole {
				t.Errorf("service saw X-User-ID %q X-User-Role %q, want %q %q", s.UserID, s.UserRole, tt.wantUserID, tt.wantUserRole)
			}
		})
	}
}

// TestInProcessServiceGetsIdentity checks the "all" mode path: the identity travels in the
// context, and the request carries the upstream deadline.
func TestInProcessServiceGetsIdentity(t *testing.T) {
	events := &fakeService{name: "events"}
	h := setup(t, config.Gateway{}, Options{Upstreams: []Upstream{{Name: "events", Handler: events}}})
	tests := []struct {
		name    string
		headers []string
		wantOK  bool
		wantID  auth.Identity
	}{
		{"anonymous", nil, false, auth.Identity{}},
		{"with token", []string{"Authorization", "Bearer " + h.token(auth.Identity{UserID: 42, Role: auth.RoleOrganizer})},
			true, auth.Identity{UserID: 42, Role: auth.RoleOrganizer}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := decodeSeen(t, h.do(http.MethodPost, "/api/v1/events/3/registrations", strings.NewReader("{}"), tt.headers...))
			if s.HasIdentity != tt.wantOK || s.Identity != tt.wantID {
				t.Errorf("identity in context = %+v (present %v), want %+v (present %v)", s.Identity, s.HasIdentity, tt.wantID, tt.wantOK)
			}
			if !s.HasDeadline {
				t.Error("in-process request has no deadline, want the upstream timeout")
			}
		})
	}
}
