package recommendations

import (
	"context"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/httpapi"
	"github.com/events-platform/events-platform/services/recommendations/registry"
)

// GET /api/v1/recommendations/models (admins): the registry's versions, newest first,
// with their metrics, which one this replica serves, and why the refused were refused.

// ModelVersion is a version of the model as admins see it.
type ModelVersion struct {
	registry.Version
	Live bool `json:"live" doc:"Whether this replica serves it"`
}

// Models are the newest versions of the model.
type Models struct {
	Models []ModelVersion `json:"models"`
	Live   int64          `json:"live" doc:"The version served; 0 before the first promotion"`
}

type modelsInput struct {
	Limit int `query:"limit" minimum:"1" maximum:"100" default:"20" doc:"How many versions (1 to 100)"`
}

func (s *Service) handleModels(ctx context.Context, in *modelsInput) (*httpapi.Output[Models], error) {
	if _, err := auth.RequireRole(ctx, auth.RoleAdmin); err != nil {
		return nil, err
	}
	vs, err := registry.List(ctx, s.db, in.Limit)
	if err != nil {
		return nil, s.fail(ctx, "list models", err)
	}
	out := Models{Models: make([]ModelVersion, len(vs))}
	if sv := s.view.Load(); sv != nil {
		out.Live = sv.version.Version
	}
	for i, v := range vs {
		out.Models[i] = ModelVersion{Version: v, Live: v.Version == out.Live && out.Live != 0}
	}
	return httpapi.OK(out), nil
}
