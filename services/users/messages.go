package users

// Domain events of the users service, written to the outbox in the transaction of the
// change and relayed to the JetStream stream PLATFORM on their subject. Payloads carry a
// "version"; a change that removes, renames or changes the meaning of a field bumps it.
//
//	subject                    payload
//	platform.user.registered   UserRegistered
const SubjectUserRegistered = "platform.user.registered"

// MessageVersion is the version of every payload below.
const MessageVersion = 1

// UserRegistered is the payload of platform.user.registered.
type UserRegistered struct {
	Version int    `json:"version"`
	UserID  int64  `json:"user_id"`
	Role    string `json:"role"`
}
