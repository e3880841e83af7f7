package users

import (
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

// routes registers the whole API of the users service.
func (s *Service) routes(mux *http.ServeMux) {
	bearer := []map[string][]string{{"bearer": {}}}
	tags := []string{"auth"}
	huma.Register(s.api, huma.Operation{OperationID: "register", Method: http.MethodPost, Path: "/api/v1/auth/register",
		Summary: "Create an account", Tags: tags, DefaultStatus: http.StatusCreated}, s.handleRegister)
	huma.Register(s.api, huma.Operation{OperationID: "login", Method: http.MethodPost, Path: "/api/v1/auth/login",
		Summary: "Log in with email and password", Tags: tags}, s.handleLogin)
	huma.Register(s.api, huma.Operation{OperationID: "refresh", Method: http.MethodPost, Path: "/api/v1/auth/refresh",
		Summary: "Exchange a refresh token for a new token pair", Tags: tags}, s.handleRefresh)
	huma.Register(s.api, huma.Operation{OperationID: "logout", Method: http.MethodPost, Path: "/api/v1/auth/logout",
		Summary: "Revoke a refresh token and its family", Tags: tags}, s.handleLogout)

	tags = []string{"users"}
	huma.Register(s.api, huma.Operation{OperationID: "get-me", Method: http.MethodGet, Path: "/api/v1/users/me",
		Summary: "Your profile", Tags: tags, Security: bearer}, s.handleGetMe)
	huma.Register(s.api, huma.Operation{OperationID: "update-me", Method: http.MethodPatch, Path: "/api/v1/users/me",
		Summary: "Update your profile", Tags: tags, Security: bearer}, s.handleUpdateMe)
	huma.Register(s.api, huma.Operation{OperationID: "get-user", Method: http.MethodGet, Path: "/api/v1/users/{id}",
		Summary: "A user's public profile", Tags: tags}, s.handleGetUser)
	huma.Register(s.api, huma.Operation{OperationID: "list-users", Method: http.MethodGet, Path: "/api/v1/users",
		Summary: "List users (admin)", Tags: tags, Security: bearer}, s.handleListUsers)
	huma.Register(s.api, huma.Operation{OperationID: "set-role", Method: http.MethodPatch, Path: "/api/v1/users/{id}/role",
		Summary: "Change a user's role (admin)", Tags: tags, Security: bearer}, s.handleSetRole)

	mux.HandleFunc("GET /.well-known/jwks.json", s.handleJWKS)
}
