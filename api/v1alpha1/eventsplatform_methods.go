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

package v1alpha1

// Component names: the services of the platform binary (`platform serve --target=<name>`)
// and the managed dependencies. Which services a version of the binary has, and so which
// the operator deploys, is the catalog's to say (internal/catalog), not this list's.
const (
	ComponentGateway         = "gateway"
	ComponentUsers           = "users"
	ComponentEvents          = "events"
	ComponentSearch          = "search"
	ComponentRealtime        = "realtime"
	ComponentCuration        = "curation"
	ComponentRecommendations = "recommendations"
	ComponentAnalytics       = "analytics"
	ComponentPostgres        = "postgres"
	ComponentRedis           = "redis"
	ComponentNATS            = "nats"
)

// Service returns the spec of the named domain service, or nil for an unknown name.
func (s *ServicesSpec) Service(name string) *ServiceSpec {
	switch name {
	case ComponentUsers:
		return &s.Users
	case ComponentEvents:
		return &s.Events
	case ComponentSearch:
		return &s.Search
	case ComponentRealtime:
		return &s.Realtime
	case ComponentCuration:
		return &s.Curation
	case ComponentRecommendations:
		return &s.Recommendations
	case ComponentAnalytics:
		return &s.Analytics
	}
	return nil
}

// IsEnabled reports whether the spec asks for the service; services are asked for unless
// disabled. The operator runs an enabled service only when this version provides it.
func (s *ServiceSpec) IsEnabled() bool { return s.Enabled == nil || *s.Enabled }

// IsPaused reports whether reconciliation is paused, by spec.paused or by the annotation.
func (p *EventsPlatform) IsPaused() bool {
	return p.Spec.Paused || p.Annotations[PausedAnnotation] == "true"
}

// RetainsData reports whether managed dependencies' volumes outlive the platform.
func (p *EventsPlatform) RetainsData() bool {
	return p.Spec.RetainDataOnDelete == nil || *p.Spec.RetainDataOnDelete
}

// ImageRef is the platform image at the given version.
func (p *EventsPlatform) ImageRef(version string) string {
	image := p.Spec.Image
	if image == "" {
		image = DefaultImage
	}
	return image + ":" + version
}
