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
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/url"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/events-platform/events-platform/api/v1alpha1"
)

// The operator generates two Secrets: the JWT signing key pair and, with a managed PostgreSQL,
// its password. Both are created once and never overwritten: replacing the key would log every
// user out, replacing the password would lock the platform out of its own database. A Secret of
// the same name made beforehand (to bring one's own key) is used as it is.

const (
	postgresUser     = "platform"
	postgresDatabase = "platform"
)

// newJWTSecret generates an Ed25519 key pair: the users service signs with private.pem (PKCS#8)
// and every service verifies with public.pem (PKIX), which may list several keys during a rotation.
func newJWTSecret(p *platformv1alpha1.EventsPlatform) (*corev1.Secret, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("encode signing key: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	return &corev1.Secret{
		ObjectMeta: objectMeta(p, jwtSecretName(p), componentJWT),
		Type:       corev1.SecretTypeOpaque,
		Data: map[string][]byte{
			jwtPrivateKey: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}),
			jwtPublicKeys: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}),
		},
	}, nil
}

// newPostgresSecret generates the credentials of a managed PostgreSQL and the URL the platform
// connects with.
func newPostgresSecret(p *platformv1alpha1.EventsPlatform) (*corev1.Secret, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("generate password: %w", err)
	}
	password := hex.EncodeToString(b)
	host := fmt.Sprintf("%s.%s.svc", childName(p, platformv1alpha1.ComponentPostgres), p.Namespace)
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(postgresUser, password),
		Host:     host + ":5432",
		Path:     "/" + postgresDatabase,
		RawQuery: "sslmode=disable",
	}
	return &corev1.Secret{
		ObjectMeta: objectMeta(p, postgresSecretName(p), platformv1alpha1.ComponentPostgres),
		Type:       corev1.SecretTypeOpaque,
		Data: map[string][]byte{
			"username": []byte(postgresUser),
			"password": []byte(password),
			"database": []byte(postgresDatabase),
			"host":     []byte(host),
			"port":     []byte("5432"),
			"url":      []byte(u.String()),
		},
	}, nil
}

// reconcileSecrets creates the generated Secrets that do not exist yet.
func (r *EventsPlatformReconciler) reconcileSecrets(ctx context.Context, s *scope) (*ctrl.Result, error) {
	p := s.platform
	jwt, err := r.ensureSecret(ctx, s, jwtSecretName(p), newJWTSecret)
	if err != nil {
		return nil, err
	}
	s.secretData["jwt"] = secretDigest(jwt, jwtPublicKeys, jwtPrivateKey)
	if p.Spec.Postgres.Managed != nil {
		pg, err := r.ensureSecret(ctx, s, postgresSecretName(p), newPostgresSecret)
		if err != nil {
			return nil, err
		}
		s.secretData["postgres"] = secretDigest(pg, "url")
	}
	return nil, nil
}

// ensureSecret returns the named Secret, creating it with generate when it does not exist.
// The generated Secrets open the data (the database password, the key that signed the
// sessions stored there), so they go with it: while the platform retains its data on delete
// (the default), they have no owner and outlive the platform, as the volumes do, and a
// platform made again with the same name opens the kept data; otherwise the platform owns
// them. A change of spec.retainDataOnDelete moves the owner on existing Secrets too.
func (r *EventsPlatformReconciler) ensureSecret(ctx context.Context, s *scope, name string,
	generate func(*platformv1alpha1.EventsPlatform) (*corev1.Secret, error)) (*corev1.Secret, error) {
	p := s.platform
	key := client.ObjectKey{Namespace: p.Namespace, Name: name}
	existing := &corev1.Secret{}
	err := r.Client.Get(ctx, key, existing)
	if err == nil {
		return existing, r.ownWithData(ctx, p, existing)
	}
	if !apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("get secret %s: %w", name, err)
	}
	secret, err := generate(p)
	if err != nil {
		return nil, err
	}
	secret.OwnerReferences = dataOwners(p)
	err = r.Client.Create(ctx, secret, client.FieldOwner(fieldOwner))
	if apierrors.IsAlreadyExists(err) {
		// The cache had not seen it yet: never replace it, read it.
		if err := r.APIReader.Get(ctx, key, existing); err != nil {
			return nil, fmt.Errorf("get secret %s: %w", name, err)
		}
		return existing, nil
	}
	if err != nil {
		return nil, fmt.Errorf("create secret %s: %w", name, err)
	}
	r.event(p, corev1.EventTypeNormal, "SecretCreated", "Create", "Generated Secret %s", name)
	return secret, nil
}

// dataOwners are the owners of what goes with the platform's data: none while the data is
// retained on delete, else the platform.
func dataOwners(p *platformv1alpha1.EventsPlatform) []metav1.OwnerReference {
	if p.RetainsData() {
		return nil
	}
	return []metav1.OwnerReference{ownerReference(p)}
}

// ownWithData makes the platform's ownership of a generated Secret follow dataOwners, keeping
// owners that are not the platform.
func (r *EventsPlatformReconciler) ownWithData(ctx context.Context, p *platformv1alpha1.EventsPlatform, secret *corev1.Secret) error {
	owners := slices.DeleteFunc(slices.Clone(secret.OwnerReferences), func(o metav1.OwnerReference) bool { return o.UID == p.UID })
	owners = append(owners, dataOwners(p)...)
	if slices.EqualFunc(owners, secret.OwnerReferences, func(a, b metav1.OwnerReference) bool { return a.UID == b.UID }) {
		return nil
	}
	patch := client.MergeFrom(secret.DeepCopy())
	secret.OwnerReferences = owners
	if err := r.Client.Patch(ctx, secret, patch, client.FieldOwner(fieldOwner)); err != nil {
		return fmt.Errorf("set the owner of secret %s: %w", secret.Name, err)
	}
	return nil
}

// secretDigest is a digest of the named keys of a Secret (all of them when none are named).
func secretDigest(secret *corev1.Secret, keys ...string) string {
	if len(keys) == 0 {
		for k := range secret.Data {
			keys = append(keys, k)
		}
		slices.Sort(keys)
	}
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s:%x;", k, secret.Data[k])
	}
	sum := sha256Hex([]byte(b.String()))
	return sum
}
