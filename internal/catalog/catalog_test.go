package catalog

import (
	"net/http"
	"slices"
	"testing"
)

// Every route pattern is owned once, is a pattern ServeMux accepts, and together they do
// not conflict: the gateway's mux registers them all.
func TestRoutesAreOwnedOnceAndRegister(t *testing.T) {
	owner := map[string]string{}
	mux := http.NewServeMux()
	for _, s := range Services() {
		if len(s.Routes) == 0 {
			t.Errorf("%s owns no route", s.Name)
		}
		for _, r := range s.Routes {
			if prev, dup := owner[r]; dup {
				t.Errorf("route %s: owned by %s and %s", r, prev, s.Name)
			}
			owner[r] = s.Name
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Errorf("route %s of %s: %v", r, s.Name, p)
					}
				}()
				mux.Handle(r, http.NotFoundHandler())
			}()
		}
	}
}

func TestNamesAreUniqueAndNotTheGateway(t *testing.T) {
	seen := map[string]bool{Gateway: true, "all": true}
	for _, n := range Names() {
		if seen[n] {
			t.Errorf("service name %q used twice (or reserved)", n)
		}
		seen[n] = true
	}
}

func TestTargetsAreTheProvidedServicesAndTheGateway(t *testing.T) {
	want := []string{Gateway}
	for _, s := range Services() {
		if s.Provided {
			want = append(want, s.Name)
		}
	}
	got := Targets()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("Targets() = %v, want %v", got, want)
	}
	if s, ok := Lookup("recommendations"); !ok || s.URLVar() != "RECOMMENDATIONS_URL" {
		t.Errorf("Lookup(recommendations) = %+v, %v; want it listed with RECOMMENDATIONS_URL", s, ok)
	}
}

func TestCallersCannotChangeTheCatalog(t *testing.T) {
	s := Services()
	s[0].Routes[0] = "/changed"
	s[0].Provided = false
	if got := Services()[0]; got.Routes[0] == "/changed" || !got.Provided {
		t.Errorf("the catalog changed through a returned slice: %+v", got)
	}
}
