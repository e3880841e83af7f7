package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func newKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSignVerifyRoundTrip(t *testing.T) {
	s := NewSigner(newKey(t), "events-platform", 15*time.Minute)
	v := NewVerifier("events-platform", s.PublicKey())
	for _, role := range []string{RoleAttendee, RoleOrganizer, RoleEditor, RoleAdmin} {
		tok, err := s.Sign(Identity{UserID: 7, Role: role})
		if err != nil {
			t.Fatal(err)
		}
		got, err := v.Verify(tok)
		if err != nil || got != (Identity{UserID: 7, Role: role}) {
			t.Errorf("%s: got %+v, %v", role, got, err)
		}
	}
}

func TestVerifyRejects(t *testing.T) {
	key := newKey(t)
	s := NewSigner(key, "events-platform", 15*time.Minute)
	v := NewVerifier("events-platform", s.PublicKey())
	other := NewSigner(newKey(t), "events-platform", 15*time.Minute)
	good, _ := s.Sign(Identity{UserID: 1, Role: RoleAttendee})

	expired := NewSigner(key, "events-platform", 15*time.Minute)
	expired.now = func() time.Time { return time.Now().Add(-time.Hour) }
	expiredTok, _ := expired.Sign(Identity{UserID: 1, Role: RoleAttendee})

	wrongIssuer, _ := NewSigner(key, "someone-else", time.Minute).Sign(Identity{UserID: 1, Role: RoleAttendee})
	badRole, _ := s.Sign(Identity{UserID: 1, Role: "superuser"})

	none := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": "1", "role": "admin", "iss": "events-platform", "exp": time.Now().Add(time.Hour).Unix()})
	noneTok, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)

	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "1", "role": "admin", "iss": "events-platform", "exp": time.Now().Add(time.Hour).Unix()})
	hs.Header["kid"] = KeyID(s.PublicKey())
	hsTok, _ := hs.SignedString([]byte(s.PublicKey()))

	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + parts[1] + "x." + parts[2]

	tests := map[string]string{
		"other key": func() string { t, _ := other.Sign(Identity{UserID: 1, Role: RoleAdmin}); return t }(),
		"expired":   expiredTok,
		"issuer":    wrongIssuer,
		"role":      badRole,
		"alg none":  noneTok,
		"hs256":     hsTok,
		"tampered":  tampered,
		"garbage":   "not.a.token",
	}
	for name, tok := range tests {
		if id, err := v.Verify(tok); err == nil {
			t.Errorf("%s: verified as %+v, want rejected", name, id)
		}
	}
}

func TestKeyFilesAndJWKS(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "jwt", "key.pem")
	k1, created, err := LoadOrCreatePrivateKey(path)
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode: got %v, want 0600", fi.Mode().Perm())
	}
	k2, created, err := LoadOrCreatePrivateKey(path)
	if err != nil || created || !k1.Equal(k2) {
		t.Fatalf("second load must read the same key: %v %v", created, err)
	}
	// A public-key bundle with two keys, as during a rotation.
	p1, _ := EncodePublicKey(k1.Public().(ed25519.PublicKey))
	p2, _ := EncodePublicKey(newKey(t).Public().(ed25519.PublicKey))
	bundle := filepath.Join(dir, "pub.pem")
	_ = os.WriteFile(bundle, append(p1, p2...), 0o644)
	keys, err := LoadPublicKeys(bundle)
	if err != nil || len(keys) != 2 {
		t.Fatalf("bundle: got %d keys, %v", len(keys), err)
	}
	jwks := NewVerifier("x", keys...).JWKS()["keys"].([]map[string]string)
	if len(jwks) != 2 || jwks[0]["kty"] != "OKP" || jwks[0]["crv"] != "Ed25519" {
		t.Errorf("jwks: %+v", jwks)
	}
	_ = os.WriteFile(bundle, []byte("nonsense"), 0o644)
	if _, err := LoadPublicKeys(bundle); err == nil {
		t.Errorf("a file without keys must be an error")
	}
	if _, err := ParsePrivateKey(p1); err == nil {
		t.Errorf("a public key is not a private key")
	}
}

func TestPasswords(t *testing.T) {
	h, err := HashPassword("password123")
	if err != nil {
		t.Fatal(err)
	}
	if !CheckPassword(h, "password123") || CheckPassword(h, "password124") {
		t.Errorf("CheckPassword gives the wrong answer")
	}
}

func TestVerifiedTokensAreRememberedOnlyUntilTheyExpire(t *testing.T) {
	key := newKey(t)
	s := NewSigner(key, "events-platform", time.Minute)
	v := NewVerifier("events-platform", s.PublicKey())
	tok, _ := s.Sign(Identity{UserID: 3, Role: RoleAttendee})
	if _, err := v.Verify(tok); err != nil {
		t.Fatal(err)
	}
	if _, exp, ok := v.cache.get(tok, time.Now()); !ok || exp.Before(time.Now()) {
		t.Fatalf("a verified token should be remembered")
	}
	v.now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	if id, err := v.Verify(tok); err == nil {
		t.Fatalf("an expired token must be rejected even when remembered: got %+v", id)
	}
	// A tampered copy is a different key and is verified in full.
	v.now = time.Now
	// A character well inside the signature changes it: the last two, replaced with "AA",
	// already encoded the same bits in about one token in 256 (the last carries padding).
	i := len(tok) - 10
	flip := byte('A')
	if tok[i] == 'A' {
		flip = 'B'
	}
	if _, err := v.Verify(tok[:i] + string(flip) + tok[i+1:]); err == nil {
		t.Fatalf("tampered signature accepted")
	}
	v.cache.max = 1
	other, _ := s.Sign(Identity{UserID: 4, Role: RoleAttendee})
	_, _ = v.Verify(other)
	if len(v.cache.m) > 1 {
		t.Errorf("cache grew past its bound: %d", len(v.cache.m))
	}
}
