/*
Copyright 2026 The Events Platform Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package controllers

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"net/url"
	"testing"
)

func TestNewJWTSecret(t *testing.T) {
	s, err := newJWTSecret(samplePlatform())
	if err != nil {
		t.Fatal(err)
	}
	privBlock, _ := pem.Decode(s.Data[jwtPrivateKey])
	pubBlock, _ := pem.Decode(s.Data[jwtPublicKeys])
	if privBlock == nil || privBlock.Type != "PRIVATE KEY" || pubBlock == nil || pubBlock.Type != "PUBLIC KEY" {
		t.Fatalf("PEM blocks = %v / %v, want PRIVATE KEY and PUBLIC KEY", privBlock, pubBlock)
	}
	priv, err := x509.ParsePKCS8PrivateKey(privBlock.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.ParsePKIXPublicKey(pubBlock.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !priv.(ed25519.PrivateKey).Public().(ed25519.PublicKey).Equal(pub) {
		t.Error("public.pem does not hold the public half of private.pem")
	}
	other, _ := newJWTSecret(samplePlatform())
	if string(other.Data[jwtPrivateKey]) == string(s.Data[jwtPrivateKey]) {
		t.Error("two platforms got the same signing key")
	}
}

func TestNewPostgresSecret(t *testing.T) {
	s, err := newPostgresSecret(samplePlatform())
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(string(s.Data["url"]))
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	if u.User.Username() != "platform" || pw != string(s.Data["password"]) || len(pw) < 32 {
		t.Errorf("url user = %q password length %d, want platform and the generated password", u.User.Username(), len(pw))
	}
	if u.Host != "demo-postgres.apps.svc:5432" || u.Path != "/platform" {
		t.Errorf("url = %s, want demo-postgres.apps.svc:5432/platform", u.Redacted())
	}
}

func TestConfigHash(t *testing.T) {
	s := newScope(samplePlatform(), testLogger())
	s.secretData["jwt"] = "a"
	s.secretData["postgres"] = "b"
	first := s.configHash()
	if first != s.configHash() {
		t.Error("configHash is not stable")
	}
	s.secretData["postgres"] = "c"
	if first == s.configHash() {
		t.Error("configHash did not change with a Secret")
	}
}
