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
	"testing"

	"k8s.io/utils/ptr"

	platformv1alpha1 "github.com/events-platform/events-platform/api/v1alpha1"
	"github.com/events-platform/events-platform/internal/catalog"
)

func TestGatewayEnv(t *testing.T) {
	p := samplePlatform()
	p.Spec.Services.Search.Enabled = ptr.To(false)
	p.Spec.Gateway.CORS.AllowedOrigins = []string{"https://a.example", "https://b.example"}
	p.Spec.Gateway.RateLimit = platformv1alpha1.RateLimitSpec{RequestsPerMinute: 120, Burst: 20}
	env := map[string]string{}
	for _, e := range gatewayEnv(p) {
		env[e.Name] = e.Value
	}
	want := map[string]string{
		"USERS_URL":             "http://demo-users:8080",
		"EVENTS_URL":            "http://demo-events:8080",
		"CORS_ALLOWED_ORIGINS":  "https://a.example,https://b.example",
		"RATE_LIMIT_PER_MINUTE": "120",
		"RATE_LIMIT_BURST":      "20",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	if _, ok := env["SEARCH_URL"]; ok {
		t.Error("SEARCH_URL is set for a disabled service")
	}
	// A service this version does not provide is not deployed, so the gateway has no URL
	// for it (its routes answer 503), whatever the spec says.
	for _, s := range catalog.Services() {
		if _, ok := env[s.URLVar()]; ok && !s.Provided {
			t.Errorf("%s is set for a service this version does not provide", s.URLVar())
		}
	}
}

func TestEndpoint(t *testing.T) {
	tests := []struct {
		name    string
		ingress platformv1alpha1.IngressSpec
		want    string
	}{
		{"no ingress", platformv1alpha1.IngressSpec{}, "http://demo-gateway.apps.svc:8080"},
		{"disabled ingress", platformv1alpha1.IngressSpec{Host: "api.example.com"}, "http://demo-gateway.apps.svc:8080"},
		{"plain ingress", platformv1alpha1.IngressSpec{Enabled: true, Host: "api.example.com"}, "http://api.example.com"},
		{"tls ingress", platformv1alpha1.IngressSpec{Enabled: true, Host: "api.example.com",
			TLS: &platformv1alpha1.IngressTLS{SecretName: "t"}}, "https://api.example.com"},
	}
	for _, tt := range tests {
		p := samplePlatform()
		p.Spec.Gateway.Ingress = tt.ingress
		if got := endpoint(p); got != tt.want {
			t.Errorf("%s: endpoint = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestDesiredIngress(t *testing.T) {
	p := samplePlatform()
	p.Spec.Gateway.Ingress = platformv1alpha1.IngressSpec{
		Enabled: true, ClassName: ptr.To("nginx"), Host: "api.example.com",
		TLS:         &platformv1alpha1.IngressTLS{SecretName: "api-tls"},
		Annotations: map[string]string{"cert-manager.io/cluster-issuer": "letsencrypt"},
	}
	ing := desiredIngress(p)
	if got := ptr.Deref(ing.Spec.IngressClassName, ""); got != "nginx" {
		t.Errorf("class = %q, want nginx", got)
	}
	if got := ing.Annotations["cert-manager.io/cluster-issuer"]; got != "letsencrypt" {
		t.Errorf("annotation = %q, want letsencrypt", got)
	}
	if got := ing.Spec.TLS[0].SecretName; got != "api-tls" {
		t.Errorf("tls secret = %q, want api-tls", got)
	}
	if got := ing.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Name; got != "demo-gateway" {
		t.Errorf("backend = %q, want demo-gateway", got)
	}
}
