// Package modules starts a process's parts in dependency order and stops them in reverse,
// as Grafana Mimir's -target does: each module names the modules it needs, and a target
// list expands to those modules and everything they depend on.
package modules

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
)

// Module is one startable part of the process.
type Module struct {
	Name string
	Deps []string
	// Start brings the module up. The stop function it returns (may be nil) is called on
	// shutdown, after every module that depends on this one has stopped.
	Start func(ctx context.Context) (stop func(context.Context) error, err error)
	// Public modules can be named as targets; internal ones (postgres, redis...) only come
	// in as dependencies.
	Public bool
}

// Registry holds the known modules.
type Registry struct {
	mods    map[string]Module
	aliases map[string][]string
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{mods: map[string]Module{}, aliases: map[string][]string{}}
}

// Register adds a module; a duplicate name panics, as it is a programming error.
func (r *Registry) Register(m Module) {
	if _, dup := r.mods[m.Name]; dup {
		panic("modules: duplicate module " + m.Name)
	}
	r.mods[m.Name] = m
}

// Alias makes name stand for several targets (such as "all").
func (r *Registry) Alias(name string, targets ...string) { r.aliases[name] = targets }

// Targets returns the names that can be passed as targets, sorted.
func (r *Registry) Targets() []string {
	var names []string
	for n, m := range r.mods {
		if m.Public {
			names = append(names, n)
		}
	}
	for n := range r.aliases {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Resolve expands targets to the modules to start, each after its dependencies.
func (r *Registry) Resolve(targets []string) ([]Module, error) {
	var order []Module
	state := map[string]int{} // 0 unseen, 1 visiting, 2 done
	var visit func(name string, path []string) error
	visit = func(name string, path []string) error {
		m, ok := r.mods[name]
		if !ok {
			return fmt.Errorf("unknown module %q (needed by %v)", name, path)
		}
		switch state[name] {
		case 1:
			return fmt.Errorf("module dependency cycle: %v", append(path, name))
		case 2:
			return nil
		}
		state[name] = 1
		for _, d := range m.Deps {
			if err := visit(d, append(path, name)); err != nil {
				return err
			}
		}
		state[name] = 2
		order = append(order, m)
		return nil
	}
	if len(targets) == 0 {
		return nil, errors.New("no target given")
	}
	for _, t := range r.expand(targets) {
		m, ok := r.mods[t]
		if !ok || !m.Public {
			return nil, fmt.Errorf("unknown target %q; valid targets: %v", t, r.Targets())
		}
		if err := visit(t, nil); err != nil {
			return nil, err
		}
	}
	return order, nil
}

func (r *Registry) expand(targets []string) []string {
	var out []string
	for _, t := range targets {
		if a, ok := r.aliases[t]; ok {
			out = append(out, r.expand(a)...)
		} else if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// Running is a set of started modules.
type Running struct {
	names []string
	stops []func(context.Context) error
}

// Start starts mods in order. If one fails, the ones already started are stopped and the
// error names the module.
func Start(ctx context.Context, mods []Module) (*Running, error) {
	run := &Running{}
	for _, m := range mods {
		var stop func(context.Context) error
		var err error
		if m.Start != nil {
			stop, err = m.Start(ctx)
		}
		if err != nil {
			return nil, errors.Join(fmt.Errorf("start %s: %w", m.Name, err), run.Stop(context.WithoutCancel(ctx)))
		}
		run.names = append(run.names, m.Name)
		run.stops = append(run.stops, stop)
	}
	return run, nil
}

// Names returns the started modules in start order.
func (r *Running) Names() []string { return slices.Clone(r.names) }

// Stop stops the modules in reverse order, all of them even if some fail.
func (r *Running) Stop(ctx context.Context) error {
	var errs []error
	for i := len(r.stops) - 1; i >= 0; i-- {
		if r.stops[i] == nil {
			continue
		}
		if err := r.stops[i](ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop %s: %w", r.names[i], err))
		}
	}
	r.stops, r.names = nil, nil
	return errors.Join(errs...)
}
