package gateway

import (
	"fmt"
	"net/http"
)

// MountServices puts several in-process services on mux by the route table, for a process
// that runs them without the gateway (`serve --target=events,search`). Nothing of the
// gateway's is applied: the services authenticate callers themselves, and limits belong
// at the gateway in front of them.
func MountServices(mux *http.ServeMux, services []Upstream) error {
	byName := map[string]http.Handler{}
	for _, s := range services {
		if s.Handler == nil {
			return fmt.Errorf("service %s has no in-process handler", s.Name)
		}
		if !isRoutedService(s.Name) {
			return fmt.Errorf("service %s owns no route", s.Name)
		}
		byName[s.Name] = s.Handler
	}
	for _, r := range routeTable {
		if h, ok := byName[r.service]; ok {
			mux.Handle(r.pattern, h)
		}
	}
	mux.Handle("/api/", http.HandlerFunc(notFound))
	return nil
}
