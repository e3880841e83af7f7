package config

import (
	"strings"
	"testing"
	"time"
)

func getenv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadDefaults(t *testing.T) {
	cfg, err := Load(getenv(nil))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.HTTPAddr != ":8080" || cfg.AccessTokenTTL != 15*time.Minute || cfg.Gateway.MaxBodyBytes != 1<<20 || cfg.ModerationTrustAfter != 3 {
		t.Errorf("defaults: got addr %q ttl %v body %d trust after %d", cfg.HTTPAddr, cfg.AccessTokenTTL, cfg.Gateway.MaxBodyBytes, cfg.ModerationTrustAfter)
	}
}

func TestLoadErrorsNameTheVariable(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"DATABASE_URL": "not a url"}, "DATABASE_URL"},
		{map[string]string{"LOG_FORMAT": "xml"}, "LOG_FORMAT"},
		{map[string]string{"SHUTDOWN_TIMEOUT": "soon"}, "SHUTDOWN_TIMEOUT"},
		{map[string]string{"RATE_LIMIT_PER_MINUTE": "0"}, "RATE_LIMIT_PER_MINUTE"},
		{map[string]string{"MODERATION_TRUST_AFTER": "-1"}, "MODERATION_TRUST_AFTER"},
		{map[string]string{"MODERATION_TRUST_AFTER": "some"}, "MODERATION_TRUST_AFTER"},
		{map[string]string{"USERS_URL": "users:8080"}, "USERS_URL"},
		{map[string]string{"ANALYTICS_URL": "/analytics"}, "ANALYTICS_URL"},
	}
	for _, tt := range tests {
		_, err := Load(getenv(tt.env))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Load(%v): got %v, want an error naming %s", tt.env, err, tt.want)
		}
	}
}

func TestRequire(t *testing.T) {
	cfg, err := Load(getenv(map[string]string{"REDIS_URL": "redis://127.0.0.1:6379"}))
	if err != nil {
		t.Fatal(err)
	}
	err = cfg.Require("users", "DATABASE_URL", "REDIS_URL")
	if err == nil || !strings.Contains(err.Error(), `DATABASE_URL is required by target "users"`) {
		t.Errorf("got %v", err)
	}
	if strings.Contains(err.Error(), "REDIS_URL") {
		t.Errorf("REDIS_URL is set but reported: %v", err)
	}
}

func TestCORSList(t *testing.T) {
	cfg, err := Load(getenv(map[string]string{"CORS_ALLOWED_ORIGINS": "https://a.example,https://b.example"}))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Gateway.CORSAllowedOrigins; len(got) != 2 || got[1] != "https://b.example" {
		t.Errorf("got %v", got)
	}
}

// Every service of the catalog has its <NAME>_URL variable, planned services too (the
// gateway can route to one that runs elsewhere).
func TestServiceURLsComeFromTheCatalog(t *testing.T) {
	cfg, err := Load(getenv(map[string]string{
		"USERS_URL": "http://users:8080", "RECOMMENDATIONS_URL": "http://recs:8080",
	}))
	if err != nil {
		t.Fatal(err)
	}
	for service, want := range map[string]string{"users": "http://users:8080", "recommendations": "http://recs:8080", "events": ""} {
		if got := cfg.Gateway.UpstreamURL(service); got != want {
			t.Errorf("UpstreamURL(%s) = %q, want %q", service, got, want)
		}
	}
}
