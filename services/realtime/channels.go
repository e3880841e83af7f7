package realtime

import (
	"strconv"
	"strings"

	"github.com/centrifugal/centrifuge"
)

// Channels, and who may join them: the only place that decides.
//
//	event:{id}    public: seat counts after every registration change; event updated,
//	              published, cancelled, approved by moderation; presence (who is viewing)
//	user:{id}     that user only: my registrations confirmed, waitlisted, promoted,
//	              cancelled; an event I registered for changed or cancelled; an event I
//	              organize held, approved or rejected by moderation
//	feed          public: newly published public events, each once shown to everyone:
//	              published approved, or approved by moderation after a hold (a held
//	              publication goes to no public channel)
//	feed:{city}   public: the same in a city (lower case, as the events service writes it)
const (
	prefixEvent = "event:"
	prefixUser  = "user:"
	channelFeed = "feed"
	prefixFeed  = "feed:"
)

func eventChannel(id int64) string { return prefixEvent + strconv.FormatInt(id, 10) }
func userChannel(id int64) string  { return prefixUser + strconv.FormatInt(id, 10) }

func feedChannel(city string) string {
	if city == "" {
		return channelFeed
	}
	return prefixFeed + strings.ToLower(city)
}

// kind is what a channel is, as far as joining it goes.
type kind int

const (
	unknown kind = iota
	public
	private // its owner's only
	viewed  // public, with presence
)

// classify returns a channel's kind and, for a user channel, its owner.
func classify(ch string) (kind, string) {
	switch {
	case ch == channelFeed:
		return public, ""
	case strings.HasPrefix(ch, prefixFeed):
		if city := ch[len(prefixFeed):]; city != "" && city == strings.ToLower(city) && len(city) <= 100 {
			return public, ""
		}
	case strings.HasPrefix(ch, prefixEvent):
		if id, err := strconv.ParseInt(ch[len(prefixEvent):], 10, 64); err == nil && id > 0 && strconv.FormatInt(id, 10) == ch[len(prefixEvent):] {
			return viewed, ""
		}
	case strings.HasPrefix(ch, prefixUser):
		if id, err := strconv.ParseInt(ch[len(prefixUser):], 10, 64); err == nil && id > 0 && strconv.FormatInt(id, 10) == ch[len(prefixUser):] {
			return private, ch[len(prefixUser):]
		}
	}
	return unknown, ""
}

// authorize returns nil when user (the connection's user id; "" for an anonymous one)
// may join ch, or the error the client is told; its connection stays open.
func authorize(ch, user string) error {
	k, owner := classify(ch)
	switch {
	case k == unknown:
		return centrifuge.ErrorUnknownChannel
	case k == private && user != owner:
		return centrifuge.ErrorPermissionDenied
	}
	return nil
}

// subscribeOptions are the options of a channel of kind k: every channel keeps its
// history for recovery; an event's channel tells who is viewing.
func subscribeOptions(k kind) centrifuge.SubscribeOptions {
	o := centrifuge.SubscribeOptions{EnableRecovery: true, EnablePositioning: true}
	if k == viewed {
		o.EmitPresence, o.EmitJoinLeave, o.PushJoinLeave = true, true, true
	}
	return o
}
