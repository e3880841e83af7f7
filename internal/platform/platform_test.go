package platform

import (
	"slices"
	"strings"
	"testing"

	"github.com/events-platform/events-platform/internal/catalog"
)

// serve --target accepts exactly the catalog's provided services, the gateway and all.
func TestTargetsAreTheCatalogs(t *testing.T) {
	want := append(catalog.Targets(), all)
	slices.Sort(want)
	if got := Targets(); !slices.Equal(got, want) {
		t.Errorf("Targets() = %v, want %v", got, want)
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		targets []string
		want    []string // the modules started, in order
	}{
		{[]string{"events"}, []string{"postgres", "nats", "outbox", "keys", "events"}},
		{[]string{"gateway"}, []string{"redis", "keys", "gateway"}},
		{[]string{"users", "gateway"}, []string{"postgres", "redis", "nats", "outbox", "keys", "users", "gateway"}},
		{[]string{"all"}, []string{"postgres", "redis", "nats", "outbox", "keys", "users", "events", "search", "realtime", "curation", "recommendations", "analytics", "gateway"}},
		{[]string{"realtime"}, []string{"postgres", "redis", "nats", "keys", "realtime"}},
		{[]string{"analytics"}, []string{"postgres", "nats", "keys", "analytics"}},
		{[]string{"recommendations"}, []string{"postgres", "redis", "nats", "keys", "recommendations"}},
		{[]string{"curation"}, []string{"postgres", "nats", "outbox", "keys", "curation"}},
	}
	for _, tt := range tests {
		p := &process{opts: Options{Targets: tt.targets}}
		mods, err := p.registry().Resolve(tt.targets)
		if err != nil {
			t.Fatalf("Resolve(%v): %v", tt.targets, err)
		}
		var got []string
		for _, m := range mods {
			got = append(got, m.Name)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Resolve(%v) = %v, want %v", tt.targets, got, tt.want)
		}
	}
}

// A planned service is not a target until this build has it; neither is a shared module.
func TestResolveRefusesWhatIsNotATarget(t *testing.T) {
	for _, s := range catalog.Services() {
		if s.Provided {
			continue
		}
		p := &process{opts: Options{Targets: []string{s.Name}}}
		if _, err := p.registry().Resolve([]string{s.Name}); err == nil || !strings.Contains(err.Error(), "unknown target") {
			t.Errorf("Resolve(%s): got %v, want unknown target", s.Name, err)
		}
	}
	p := &process{opts: Options{Targets: []string{"postgres"}}}
	if _, err := p.registry().Resolve([]string{"postgres"}); err == nil {
		t.Error("Resolve(postgres): a shared module is not a target")
	}
}
