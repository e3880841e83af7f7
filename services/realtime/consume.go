package realtime

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/centrifugal/centrifuge"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/events-platform/events-platform/internal/natsbus"
)

// Domain events in, publications out. One durable consumer is shared by every replica, so
// each domain event is published once; the Redis broker carries it to every replica's
// clients. A redelivered message (a replica died before acking) is published again with
// the same idempotency key, which the broker drops.

// Publication is what a channel's clients receive: the domain event's type (its subject
// without "platform.") and its payload as the service that owns it wrote it (versioned, see
// the events service's and the curation service's messages.go); for "event.seats", a Seats.
type Publication struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// Seats is an event's registration counts after a change.
type Seats struct {
	EventID    int64 `json:"event_id"`
	Registered int   `json:"registered"`
	Waitlisted int   `json:"waitlisted"`
	Capacity   *int  `json:"capacity"`   // null: unlimited
	SeatsLeft  *int  `json:"seats_left"` // null: unlimited
}

// domainEvent is the part of the events and curation services' payloads the routing
// reads.
type domainEvent struct {
	Version     int     `json:"version"`
	EventID     int64   `json:"event_id"`
	UserID      int64   `json:"user_id"`
	Organizer   int64   `json:"organizer_id"`
	Status      string  `json:"status"`
	Visibility  string  `json:"visibility"`
	Moderation  string  `json:"moderation"` // "" in payloads written before moderation: approved
	City        string  `json:"city"`
	Registrants []int64 `json:"registrant_ids"`
}

func (s *Service) consume(ctx context.Context) (jetstream.ConsumeContext, error) {
	// One filter subject: NATS servers before 2.10 do not take several.
	cons, err := s.bus.JS.CreateOrUpdateConsumer(ctx, natsbus.StreamName, jetstream.ConsumerConfig{
		Durable: s.consumer, FilterSubject: "platform.>", DeliverPolicy: jetstream.DeliverNewPolicy,
		AckPolicy: jetstream.AckExplicitPolicy, AckWait: 30 * time.Second, MaxDeliver: -1,
		InactiveThreshold: 24 * time.Hour,
	})
	if err != nil {
		return nil, fmt.Errorf("create consumer %s: %w", s.consumer, err)
	}
	s.lag.Follow(cons)
	// Messages are handled in lanes by event, each in order: an event's publications keep
	// their order while other events' go on meanwhile (a publication is a Redis round trip
	// or two, which one lane alone would make the ceiling).
	lanes := make([]chan routed, consumeLanes)
	for i := range lanes {
		lanes[i] = make(chan routed, 64)
		go func() {
			for {
				select {
				case <-ctx.Done():
					return // what was not acked is delivered again
				case m := <-lanes[i]:
					msg := m.msg
					if err := s.handle(ctx, msg, m.route); err != nil {
						s.log.Warn("realtime: domain event not published yet", "subject", msg.Subject(), "err", err)
						_ = msg.NakWithDelay(time.Second)
						continue
					}
					_ = msg.Ack()
				}
			}
		}()
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		r := routeOf(msg.Subject(), msg.Data())
		if len(r.channels) == 0 {
			_ = msg.Ack() // not for any channel
			return
		}
		select {
		case lanes[uint64(r.eventID)%consumeLanes] <- routed{msg, r}:
		case <-ctx.Done():
		}
	}, jetstream.PullMaxMessages(4*consumeLanes*64))
	if err != nil {
		return nil, fmt.Errorf("consume %s: %w", s.consumer, err)
	}
	return cc, nil
}

// route is where one domain event goes: its channels, and whether the event's seat counts
// and its registrants' channels are to be looked up too. A payload of a version this
// service does not know, or not JSON, goes nowhere.
type route struct {
	channels    []string
	eventID     int64
	seats       bool
	registrants bool
}

func routeOf(subject string, data []byte) route {
	kind := strings.TrimPrefix(subject, "platform.")
	var e domainEvent
	if err := json.Unmarshal(data, &e); err != nil || e.Version != 1 || e.EventID <= 0 {
		return route{}
	}
	r := route{eventID: e.EventID}
	switch {
	case strings.HasPrefix(kind, "registration.") && e.UserID > 0:
		r.channels, r.seats = []string{userChannel(e.UserID)}, true
	case kind == "event.published" && e.Visibility == "public" && (e.Moderation == "" || e.Moderation == "approved"):
		r.channels = announced(e)
	case kind == "moderation.approved" && e.Visibility == "public":
		// A held event is published at last: announced as a publication would have been.
		r.channels = announced(e)
		if e.Organizer > 0 {
			r.channels = append(r.channels, userChannel(e.Organizer))
		}
	case kind == "moderation.approved" || kind == "moderation.held" || kind == "moderation.rejected":
		if e.Organizer <= 0 {
			return route{}
		}
		r.channels = []string{userChannel(e.Organizer)}
	case kind == "event.cancelled":
		r.channels = []string{eventChannel(e.EventID)}
		for _, u := range e.Registrants {
			if u > 0 {
				r.channels = append(r.channels, userChannel(u))
			}
		}
	case kind == "event.updated":
		r.channels, r.registrants = []string{eventChannel(e.EventID)}, true
	default:
		return route{}
	}
	return r
}

// announced are the channels that tell of a public event newly shown to everyone: its
// own, the feed, and its city's feed when the city makes a channel name.
func announced(e domainEvent) []string {
	chs := []string{eventChannel(e.EventID), feedChannel("")}
	if k, _ := classify(feedChannel(e.City)); e.City != "" && k == public {
		chs = append(chs, feedChannel(e.City))
	}
	return chs
}

// consumeLanes is how many domain events are handled at once; an event's lane is its
// event id modulo consumeLanes, so that one event's changes stay in order.
const consumeLanes = 16

// routed is a domain event with where it goes.
type routed struct {
	msg   jetstream.Msg
	route route
}

// handle publishes one domain event to its channels (r, as routeOf found them), keyed by
// its stream sequence.
func (s *Service) handle(ctx context.Context, msg jetstream.Msg, r route) error {
	meta, err := msg.Metadata()
	if err != nil {
		return err
	}
	key := strconv.FormatUint(meta.Sequence.Stream, 10)
	if r.seats {
		if err := s.publishSeats(ctx, r.eventID, key); err != nil {
			return err
		}
	}
	if r.registrants {
		users, err := s.registrants(ctx, r.eventID)
		if err != nil {
			return err
		}
		for _, u := range users {
			r.channels = append(r.channels, userChannel(u))
		}
	}
	kind := strings.TrimPrefix(msg.Subject(), "platform.")
	data, err := json.Marshal(Publication{Type: kind, Data: msg.Data()})
	if err != nil {
		return err
	}
	shown := data // what public channels receive
	if strings.HasPrefix(kind, "moderation.") {
		if shown, err = json.Marshal(Publication{Type: kind, Data: publicModeration(msg.Data())}); err != nil {
			return err
		}
	}
	for _, ch := range r.channels {
		out := shown
		if k, _ := classify(ch); k == private {
			out = data
		}
		if err := s.publish(ch, out, key); err != nil {
			return err
		}
	}
	return nil
}

// moderationShown is the part of a moderation decision anyone may read: the event as its
// publication would have told it, and the decision. Who decided, the spam score and what
// the checks found are for the organizer (and would teach a spammer what to avoid).
type moderationShown struct {
	Version    int             `json:"version"`
	EventID    int64           `json:"event_id"`
	Organizer  int64           `json:"organizer_id"`
	Title      string          `json:"title"`
	Category   string          `json:"category"`
	City       string          `json:"city,omitempty"`
	Visibility string          `json:"visibility"`
	StartsAt   json.RawMessage `json:"starts_at,omitempty"`
	Decision   string          `json:"decision"`
	OccurredAt json.RawMessage `json:"occurred_at,omitempty"`
}

// publicModeration returns a moderation payload with only moderationShown's fields.
func publicModeration(data []byte) json.RawMessage {
	var m moderationShown
	_ = json.Unmarshal(data, &m) // routeOf decoded it already
	out, _ := json.Marshal(m)
	return out
}

// publish sends data to a channel's clients and history, once per key.
func (s *Service) publish(ch string, data []byte, key string) error {
	_, err := s.node.Publish(ch, data, centrifuge.WithHistory(s.historySize, s.historyTTL), centrifuge.WithIdempotencyKey(key))
	if err != nil {
		return fmt.Errorf("publish to %s: %w", ch, err)
	}
	return nil
}

// publishSeats tells an event's channel its counts as they are now (a burst of
// registrations may show a later count than the one that triggered it: the counter only
// moves forward to the truth).
func (s *Service) publishSeats(ctx context.Context, eventID int64, key string) error {
	st := Seats{EventID: eventID}
	err := s.db.QueryRow(ctx, `SELECT registered_count, waitlist_count, capacity FROM events WHERE id = $1`, eventID).
		Scan(&st.Registered, &st.Waitlisted, &st.Capacity)
	if err != nil {
		return fmt.Errorf("seats of event %d: %w", eventID, err)
	}
	if st.Capacity != nil {
		left := max(0, *st.Capacity-st.Registered)
		st.SeatsLeft = &left
	}
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	pub, err := json.Marshal(Publication{Type: "event.seats", Data: data})
	if err != nil {
		return err
	}
	return s.publish(eventChannel(eventID), pub, key)
}

// registrants are the users confirmed or waiting for an event.
func (s *Service) registrants(ctx context.Context, eventID int64) ([]int64, error) {
	rows, err := s.db.Query(ctx, `SELECT user_id FROM event_registrations WHERE event_id = $1 AND status IN ('confirmed', 'waitlisted')`, eventID)
	if err != nil {
		return nil, fmt.Errorf("registrants of event %d: %w", eventID, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}
