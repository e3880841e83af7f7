package modules

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

func registry(log *[]string, failing string) *Registry {
	r := NewRegistry()
	add := func(name string, public bool, deps ...string) {
		r.Register(Module{Name: name, Deps: deps, Public: public, Start: func(context.Context) (func(context.Context) error, error) {
			if name == failing {
				return nil, errors.New("boom")
			}
			*log = append(*log, "start "+name)
			return func(context.Context) error { *log = append(*log, "stop "+name); return nil }, nil
		}})
	}
	add("postgres", false)
	add("redis", false)
	add("users", true, "postgres", "redis")
	add("events", true, "postgres")
	add("gateway", true, "redis", "users", "events")
	r.Alias("all", "gateway", "users", "events")
	return r
}

func names(mods []Module) []string {
	var out []string
	for _, m := range mods {
		out = append(out, m.Name)
	}
	return out
}

func TestResolveOrdersDependenciesFirst(t *testing.T) {
	tests := []struct {
		targets []string
		want    []string
	}{
		{[]string{"users"}, []string{"postgres", "redis", "users"}},
		{[]string{"events", "users"}, []string{"postgres", "events", "redis", "users"}},
		{[]string{"all"}, []string{"redis", "postgres", "users", "events", "gateway"}},
	}
	for _, tt := range tests {
		var log []string
		got, err := registry(&log, "").Resolve(tt.targets)
		if err != nil {
			t.Fatalf("Resolve(%v): %v", tt.targets, err)
		}
		if !slices.Equal(names(got), tt.want) {
			t.Errorf("Resolve(%v) = %v, want %v", tt.targets, names(got), tt.want)
		}
	}
}

func TestResolveRejects(t *testing.T) {
	var log []string
	r := registry(&log, "")
	for _, targets := range [][]string{{"nope"}, {"postgres"}, {}} {
		if _, err := r.Resolve(targets); err == nil {
			t.Errorf("Resolve(%v): want an error", targets)
		}
	}
	r.Register(Module{Name: "a", Deps: []string{"b"}, Public: true})
	r.Register(Module{Name: "b", Deps: []string{"a"}})
	if _, err := r.Resolve([]string{"a"}); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("cycle: got %v", err)
	}
}

func TestStartStopsInReverse(t *testing.T) {
	var log []string
	mods, _ := registry(&log, "").Resolve([]string{"users"})
	run, err := Start(context.Background(), mods)
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []string{"start postgres", "start redis", "start users", "stop users", "stop redis", "stop postgres"}
	if !slices.Equal(log, want) {
		t.Errorf("got %v, want %v", log, want)
	}
}

func TestStartFailureStopsWhatStarted(t *testing.T) {
	var log []string
	mods, _ := registry(&log, "users").Resolve([]string{"users"})
	_, err := Start(context.Background(), mods)
	if err == nil || !strings.Contains(err.Error(), "start users") {
		t.Fatalf("got %v, want an error naming users", err)
	}
	want := []string{"start postgres", "start redis", "stop redis", "stop postgres"}
	if !slices.Equal(log, want) {
		t.Errorf("got %v, want %v", log, want)
	}
}
