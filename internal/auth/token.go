package auth

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Roles a user can hold.
const (
	RoleAttendee  = "attendee"
	RoleOrganizer = "organizer"
	// RoleEditor curates: collections, featured picks and the moderation queue.
	RoleEditor = "editor"
	RoleAdmin  = "admin"
)

// Identity is a verified caller.
type Identity struct {
	UserID int64
	Role   string
}

// IsAdmin reports whether the caller is an administrator.
func (id Identity) IsAdmin() bool { return id.Role == RoleAdmin }

// IsCurator reports whether the caller may curate and moderate: editors and administrators.
func (id Identity) IsCurator() bool { return id.Role == RoleEditor || id.Role == RoleAdmin }

type claims struct {
	Role string `json:"role"`
	jwt.RegisteredClaims
}

// Signer issues access tokens.
type Signer struct {
	key    ed25519.PrivateKey
	kid    string
	issuer string
	ttl    time.Duration
	now    func() time.Time
}

// NewSigner returns a signer with key; tokens live for ttl.
func NewSigner(key ed25519.PrivateKey, issuer string, ttl time.Duration) *Signer {
	return &Signer{key: key, kid: KeyID(key.Public().(ed25519.PublicKey)), issuer: issuer, ttl: ttl, now: time.Now}
}

// PublicKey returns the key that verifies this signer's tokens.
func (s *Signer) PublicKey() ed25519.PublicKey { return s.key.Public().(ed25519.PublicKey) }

// TTL returns how long an access token lives.
func (s *Signer) TTL() time.Duration { return s.ttl }

// Sign returns an access token for id.
func (s *Signer) Sign(id Identity) (string, error) {
	now := s.now()
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims{
		Role: id.Role,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    s.issuer,
			Subject:   strconv.FormatInt(id.UserID, 10),
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now.Add(-5 * time.Second)),
			ExpiresAt: jwt.NewNumericDate(now.Add(s.ttl)),
		},
	})
	tok.Header["kid"] = s.kid
	signed, err := tok.SignedString(s.key)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return signed, nil
}

// ErrInvalidToken is returned for any token that does not verify; the reason is wrapped
// for logs, not for clients.
var ErrInvalidToken = errors.New("invalid token")

// Verifier checks access tokens against a set of public keys chosen by kid.
type Verifier struct {
	keys   map[string]ed25519.PublicKey
	issuer string
	parser *jwt.Parser
	cache  verified
	now    func() time.Time
}

// verified remembers tokens that passed verification until they expire: a client sends
// the same token with every request for its 15 minutes, and an Ed25519 verification is a
// quarter of the CPU of a small request. A token is immutable, so its verdict cannot
// change before it expires.
type verified struct {
	mu  sync.Mutex
	m   map[string]verifiedToken
	max int
}

type verifiedToken struct {
	id  Identity
	exp time.Time
}

func (c *verified) get(token string, now time.Time) (Identity, time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[token]
	if !ok || !now.Before(v.exp) {
		return Identity{}, time.Time{}, false
	}
	return v.id, v.exp, true
}

func (c *verified) put(token string, id Identity, exp time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		clear(c.m) // crude but bounded; the next requests refill it
	}
	c.m[token] = verifiedToken{id: id, exp: exp}
}

// NewVerifier returns a verifier trusting keys.
func NewVerifier(issuer string, keys ...ed25519.PublicKey) *Verifier {
	v := &Verifier{
		keys: make(map[string]ed25519.PublicKey, len(keys)), issuer: issuer, now: time.Now,
		cache: verified{m: map[string]verifiedToken{}, max: 50_000},
	}
	for _, k := range keys {
		v.keys[KeyID(k)] = k
	}
	// Only EdDSA: this rejects alg "none" and any HMAC-with-public-key confusion.
	v.parser = jwt.NewParser(jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(issuer), jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithLeeway(5*time.Second),
		jwt.WithTimeFunc(func() time.Time { return v.now() }))
	return v
}

// Verify returns the identity in a valid token.
func (v *Verifier) Verify(token string) (Identity, error) {
	id, _, err := v.VerifyExpiry(token)
	return id, err
}

// VerifyExpiry returns the identity in a valid token and when the token expires: a
// connection that outlives its token (a websocket) asks for a fresh one by then.
func (v *Verifier) VerifyExpiry(token string) (Identity, time.Time, error) {
	if id, exp, ok := v.cache.get(token, v.now()); ok {
		return id, exp, nil
	}
	var c claims
	_, err := v.parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		key, ok := v.keys[kid]
		if !ok {
			return nil, fmt.Errorf("unknown key id %q", kid)
		}
		return key, nil
	})
	if err != nil {
		return Identity{}, time.Time{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	id, err := strconv.ParseInt(c.Subject, 10, 64)
	if err != nil || id <= 0 {
		return Identity{}, time.Time{}, fmt.Errorf("%w: subject %q", ErrInvalidToken, c.Subject)
	}
	switch c.Role {
	case RoleAttendee, RoleOrganizer, RoleEditor, RoleAdmin:
	default:
		return Identity{}, time.Time{}, fmt.Errorf("%w: role %q", ErrInvalidToken, c.Role)
	}
	ident := Identity{UserID: id, Role: c.Role}
	if len(token) <= 2048 {
		v.cache.put(token, ident, c.ExpiresAt.Time)
	}
	return ident, c.ExpiresAt.Time, nil
}

// JWKS is the JSON Web Key Set document of the verifier's keys.
func (v *Verifier) JWKS() map[string]any {
	keys := make([]map[string]string, 0, len(v.keys))
	for kid, k := range v.keys {
		keys = append(keys, map[string]string{
			"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": kid,
			"x": base64.RawURLEncoding.EncodeToString(k),
		})
	}
	return map[string]any{"keys": keys}
}

// BearerToken returns the token of an "Authorization: Bearer" header, or "".
func BearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

type ctxKey struct{}

// WithIdentity returns ctx carrying id.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// FromContext returns the caller's identity, and whether there is one.
func FromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(ctxKey{}).(Identity)
	return id, ok
}

// RequireCtx returns the caller's identity, or a 401 error for an anonymous caller.
func RequireCtx(ctx context.Context) (Identity, error) {
	id, ok := FromContext(ctx)
	if !ok {
		return Identity{}, errAnonymous
	}
	return id, nil
}

// RequireRole returns the caller's identity, or 401 for an anonymous caller and 403 for a
// caller with none of roles.
func RequireRole(ctx context.Context, roles ...string) (Identity, error) {
	id, err := RequireCtx(ctx)
	if err != nil {
		return id, err
	}
	for _, r := range roles {
		if id.Role == r {
			return id, nil
		}
	}
	return id, errForbidden
}
