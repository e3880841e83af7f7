package realtime

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/centrifugal/centrifuge"
	"github.com/golang-jwt/jwt/v5"

	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/httpapi"
)

// A connection authenticates with the platform's access token: in the Authorization
// header of the upgrade (checked before it, see routes.go), or in its connect command (a
// browser cannot set headers on a websocket). Without one it is anonymous and may join
// public channels only. A token has an expiry: by then the client sends a fresh one
// (centrifuge asks it to), or the connection is closed as expired.

// credentials checks token and returns what centrifuge keeps of the connection's user.
func (s *Service) credentials(token string) (*centrifuge.Credentials, error) {
	id, exp, err := s.verifier.VerifyExpiry(token)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, centrifuge.ErrorTokenExpired
	case err != nil:
		return nil, centrifuge.ErrorUnauthorized
	}
	return &centrifuge.Credentials{UserID: strconv.FormatInt(id.UserID, 10), ExpireAt: exp.Unix(), Info: []byte(`{"role":"` + id.Role + `"}`)}, nil
}

// connecting authenticates a connection: by the header's token (already in ctx), else the
// connect command's, else anonymously.
func (s *Service) connecting(ctx context.Context, e centrifuge.ConnectEvent) (centrifuge.ConnectReply, error) {
	if cred, ok := centrifuge.GetCredentials(ctx); ok {
		return centrifuge.ConnectReply{Credentials: cred, ClientSideRefresh: true}, nil
	}
	if e.Token == "" {
		return centrifuge.ConnectReply{Credentials: &centrifuge.Credentials{}, ClientSideRefresh: true}, nil
	}
	cred, err := s.credentials(e.Token)
	if err != nil {
		return centrifuge.ConnectReply{}, err
	}
	return centrifuge.ConnectReply{Credentials: cred, ClientSideRefresh: true}, nil
}

// connected sets what a connection may do: refresh its token (as the same user), join
// channels channels.go allows, read an event channel's presence and any joined channel's
// history. It cannot publish: publications come from the domain events only.
func (s *Service) connected(c *centrifuge.Client) {
	c.OnRefresh(func(e centrifuge.RefreshEvent, cb centrifuge.RefreshCallback) {
		cred, err := s.credentials(e.Token)
		switch {
		case err != nil:
			cb(centrifuge.RefreshReply{}, err)
		case cred.UserID != c.UserID():
			cb(centrifuge.RefreshReply{}, centrifuge.ErrorPermissionDenied)
		default:
			cb(centrifuge.RefreshReply{ExpireAt: cred.ExpireAt}, nil)
		}
	})
	c.OnSubscribe(func(e centrifuge.SubscribeEvent, cb centrifuge.SubscribeCallback) {
		if err := authorize(e.Channel, c.UserID()); err != nil {
			cb(centrifuge.SubscribeReply{}, err)
			return
		}
		k, _ := classify(e.Channel)
		cb(centrifuge.SubscribeReply{Options: subscribeOptions(k)}, nil)
	})
	joined := func(ch string) error {
		if !c.IsSubscribed(ch) {
			return centrifuge.ErrorPermissionDenied
		}
		return nil
	}
	c.OnPresence(func(e centrifuge.PresenceEvent, cb centrifuge.PresenceCallback) {
		if k, _ := classify(e.Channel); k != viewed {
			cb(centrifuge.PresenceReply{}, centrifuge.ErrorNotAvailable)
			return
		}
		cb(centrifuge.PresenceReply{}, joined(e.Channel))
	})
	c.OnPresenceStats(func(e centrifuge.PresenceStatsEvent, cb centrifuge.PresenceStatsCallback) {
		if k, _ := classify(e.Channel); k != viewed {
			cb(centrifuge.PresenceStatsReply{}, centrifuge.ErrorNotAvailable)
			return
		}
		cb(centrifuge.PresenceStatsReply{}, joined(e.Channel))
	})
	c.OnHistory(func(e centrifuge.HistoryEvent, cb centrifuge.HistoryCallback) {
		cb(centrifuge.HistoryReply{}, joined(e.Channel))
	})
}

// withHeaderToken authenticates the upgrade by its Authorization header, when it has one
// (the gateway has checked it already; alone, the service checks it here).
func (s *Service) withHeaderToken(ws http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token := auth.BearerToken(r); token != "" {
			cred, err := s.credentials(token)
			if err != nil {
				httpapi.WriteError(w, httpapi.Unauthorized("the access token is invalid or expired"))
				return
			}
			r = r.WithContext(centrifuge.SetCredentials(r.Context(), cred))
		}
		ws.ServeHTTP(w, r)
	})
}
