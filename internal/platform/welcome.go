package platform

import (
	"fmt"
	"io"
	"net"
)

// printWelcome tells a developer where everything is (serve --dev).
func printWelcome(w io.Writer, addr string) {
	host := addr
	if h, port, err := net.SplitHostPort(addr); err == nil && (h == "::" || h == "0.0.0.0" || h == "") {
		host = "localhost:" + port
	}
	base := "http://" + host
	fmt.Fprintf(w, `
Events Platform is running (Ctrl-C stops it).

  API       %[1]s/api/v1
  Websocket ws://%[2]s/ws (centrifuge protocol: channels event:{id}, user:{id}, feed, feed:{city})
  Docs      %[1]s/docs
  OpenAPI   %[1]s/api/v1/openapi.json
  Health    %[1]s/health   Ready %[1]s/readyz   Metrics %[1]s/metrics

Demo accounts (password "password123"): alice@example.com, organizer@example.com, editor@example.com, admin@example.com

Try:
  curl -s -X POST %[1]s/api/v1/auth/login -H 'Content-Type: application/json' \
    -d '{"email":"alice@example.com","password":"password123"}'
  TOKEN=$(curl -s -X POST %[1]s/api/v1/auth/login -H 'Content-Type: application/json' \
    -d '{"email":"alice@example.com","password":"password123"}' | sed -E 's/.*"token":"([^"]+)".*/\1/')
  curl -s %[1]s/api/v1/users/me -H "Authorization: Bearer $TOKEN"
  curl -s '%[1]s/api/v1/events?limit=5&sort=popularity'
  curl -s '%[1]s/api/v1/search/events?q=jazz&limit=5'
  curl -s -X POST %[1]s/api/v1/events/1/registrations -H "Authorization: Bearer $TOKEN"
  curl -s %[1]s/api/v1/realtime/events/1/presence
  curl -s '%[1]s/api/v1/recommendations/events?limit=5' -H "Authorization: Bearer $TOKEN"
  curl -s '%[1]s/api/v1/curation/trending?limit=5'
  curl -s '%[1]s/api/v1/curation/featured?city=Berlin&limit=5'
  curl -s '%[1]s/api/v1/collections'
  (editor@example.com's token: GET %[1]s/api/v1/moderation/queue, POST /api/v1/collections)
  curl -s -X POST %[1]s/api/v1/analytics/interactions -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"interactions\":[{\"type\":\"view\",\"event_id\":1,\"occurred_at\":\"$(date -u +%%FT%%TZ)\"}]}"
  curl -s -X POST %[1]s/api/v1/auth/register -H 'Content-Type: application/json' \
    -d '{"email":"you@example.com","password":"password123","name":"You"}'

`, base, host)
}
