// Package catalog lists the platform's services once: what each is called, which gateway
// paths it owns, the variable that holds its URL, the modules it needs and whether this
// build has it. The module registry (internal/platform), the configuration
// (internal/config), the gateway's route table and the operator (controllers) all read it,
// so that adding a service is its package plus one entry here.
//
// A service that is listed but not Provided is planned: the gateway routes its paths (and
// answers 503 until its URL is configured), but no process runs it and the operator does
// not deploy it.
package catalog

import (
	"slices"
	"strings"
)

// Gateway is the public entry point's target name. It is not a domain service (it owns no
// route of its own in the table: it fronts all of them), but it is deployed like one.
const Gateway = "gateway"

// Service is one domain service: `platform serve --target=<Name>`, one Deployment.
type Service struct {
	Name string
	// Routes are the gateway paths the service owns: http.ServeMux patterns without a
	// method, so every method reaches the service and the most specific pattern wins
	// (/api/v1/users/me/favorites goes to events, the rest of /api/v1/users/ to users). A
	// pattern ending in "/" owns its subtree. Paths are forwarded unchanged.
	Routes []string
	// Modules are the modules the service's module starts after (internal/platform).
	Modules []string
	// Provided reports whether this build has the service.
	Provided bool
}

// URLVar is the environment variable that tells the gateway where the service runs in
// split mode, such as USERS_URL.
func (s Service) URLVar() string { return strings.ToUpper(s.Name) + "_URL" }

// HasRetrain reports whether this build has the `platform retrain` command, which the
// operator's retraining CronJob runs.
const HasRetrain = true

// services are the domain services in the order `all` starts them and the gateway lists them.
var services = []Service{
	{
		Name: "users",
		Routes: []string{
			"/api/v1/auth/", "/api/v1/users", "/api/v1/users/", "/.well-known/jwks.json",
		},
		Modules:  []string{"postgres", "redis", "outbox", "keys"},
		Provided: true,
	},
	{
		Name: "events",
		Routes: []string{
			"/api/v1/events", "/api/v1/events/",
			"/api/v1/users/me/registrations", "/api/v1/users/me/registrations/",
			"/api/v1/users/me/favorites", "/api/v1/users/me/favorites/",
		},
		Modules:  []string{"postgres", "outbox", "keys"},
		Provided: true,
	},
	{
		Name:     "search",
		Routes:   []string{"/api/v1/search/"},
		Modules:  []string{"postgres", "keys"},
		Provided: true,
	},
	{
		Name:     "realtime",
		Routes:   []string{"/api/v1/realtime/", "/ws"},
		Modules:  []string{"postgres", "redis", "nats", "keys"},
		Provided: true,
	},
	{
		Name:     "curation",
		Routes:   []string{"/api/v1/curation/", "/api/v1/collections", "/api/v1/collections/", "/api/v1/moderation/"},
		Modules:  []string{"postgres", "outbox", "nats", "keys"},
		Provided: true,
	},
	{
		Name:     "recommendations",
		Routes:   []string{"/api/v1/recommendations/"},
		Modules:  []string{"postgres", "redis", "nats", "keys"},
		Provided: true,
	},
	{
		Name:     "analytics",
		Routes:   []string{"/api/v1/analytics/"},
		Modules:  []string{"postgres", "nats", "keys"},
		Provided: true,
	},
}

// Services returns every domain service, provided or planned, in catalog order.
func Services() []Service { return clone(services) }

// Provided returns the domain services this build has, in catalog order.
func Provided() []Service {
	var out []Service
	for _, s := range services {
		if s.Provided {
			out = append(out, s)
		}
	}
	return clone(out)
}

// ProvidedNames returns the names of the domain services this build has, in catalog order.
func ProvidedNames() []string {
	var names []string
	for _, s := range services {
		if s.Provided {
			names = append(names, s.Name)
		}
	}
	return names
}

// Names returns the names of every domain service, in catalog order.
func Names() []string {
	names := make([]string, len(services))
	for i, s := range services {
		names[i] = s.Name
	}
	return names
}

// Lookup returns the named domain service and whether the catalog lists it.
func Lookup(name string) (Service, bool) {
	i := slices.IndexFunc(services, func(s Service) bool { return s.Name == name })
	if i < 0 {
		return Service{}, false
	}
	return clone(services[i : i+1])[0], true
}

// IsProvided reports whether name is a domain service this build has.
func IsProvided(name string) bool {
	s, ok := Lookup(name)
	return ok && s.Provided
}

// Targets returns what this build can run as one Deployment each: the provided domain
// services and the gateway.
func Targets() []string { return append(ProvidedNames(), Gateway) }

// clone copies the slices inside, so that callers cannot change the catalog.
func clone(in []Service) []Service {
	out := make([]Service, len(in))
	for i, s := range in {
		s.Routes = slices.Clone(s.Routes)
		s.Modules = slices.Clone(s.Modules)
		out[i] = s
	}
	return out
}
