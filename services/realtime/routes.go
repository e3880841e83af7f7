package realtime

import (
	"context"
	"fmt"
	"net/http"

	"github.com/centrifugal/centrifuge"
	"github.com/danielgtaylor/huma/v2"

	"github.com/events-platform/events-platform/internal/httpapi"
)

// maxMessageBytes bounds what a client may send in one websocket message: commands are
// small (a token is the largest part).
const maxMessageBytes = 64 << 10

// routes registers the websocket endpoint and the REST API.
func (s *Service) routes(mux *http.ServeMux) {
	ws := centrifuge.NewWebsocketHandler(s.node, centrifuge.WebsocketConfig{
		MessageSizeLimit: maxMessageBytes,
		// Browsers of any origin may connect: a connection carries the user's token
		// explicitly (header or connect command), never a cookie a page could borrow.
		CheckOrigin: func(*http.Request) bool { return true },
	})
	mux.Handle("GET /ws", s.withHeaderToken(ws))
	huma.Register(s.api, huma.Operation{OperationID: "event-presence", Method: http.MethodGet,
		Path: "/api/v1/realtime/events/{id}/presence", Summary: "How many are viewing an event now", Tags: []string{"realtime"}},
		s.handlePresence)
}

// Presence is how many connections, and distinct signed-in users, view an event's page.
type Presence struct {
	EventID     int64 `json:"event_id"`
	Connections int   `json:"connections"`
	Users       int   `json:"users"`
}

type presenceInput struct {
	ID int64 `path:"id" minimum:"1" doc:"The event's id"`
}

func (s *Service) handlePresence(ctx context.Context, in *presenceInput) (*httpapi.Output[Presence], error) {
	st, err := s.node.PresenceStats(eventChannel(in.ID))
	if err != nil {
		return nil, presenceDown(ctx, s, err)
	}
	// Anonymous connections share the empty user id: count users without it.
	users := st.NumUsers
	if users > 0 {
		p, err := s.node.Presence(eventChannel(in.ID))
		if err != nil {
			return nil, presenceDown(ctx, s, err)
		}
		users = distinctUsers(p.Presence)
	}
	return httpapi.OK(Presence{EventID: in.ID, Connections: st.NumClients, Users: users}), nil
}

// presenceDown answers a presence read that failed: presence lives in Redis (or in
// memory, which does not fail), so it is Redis that is down: 503, whatever error its
// client gave.
func presenceDown(ctx context.Context, s *Service, err error) error {
	return httpapi.Fail(ctx, s.log, "presence", fmt.Errorf("%w: %w", httpapi.DependencyDown("redis"), err))
}

func distinctUsers(p map[string]*centrifuge.ClientInfo) int {
	seen := map[string]bool{}
	for _, c := range p {
		if c.UserID != "" {
			seen[c.UserID] = true
		}
	}
	return len(seen)
}
