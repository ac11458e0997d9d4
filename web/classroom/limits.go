package classroom

import "time"

// Limits of the classroom. Each is a named value with a test at its edge.
const (
	// DefaultMaxStudents is the most students one room admits (distinct phones; a phone
	// that reconnects is the same student). A lecture hall of 500 fits.
	DefaultMaxStudents = 600
	// DefaultMaxRooms is the most rooms alive at once on one deployment (every replica
	// sharing the NATS server counts against it).
	DefaultMaxRooms = 100
	// MaxAnswersPerQuestion is how many answers a student gives to one question in one
	// round of voting: the first counts, a second is refused. A revote opens a new round.
	MaxAnswersPerQuestion = 1
	// MaxRounds is the most rounds of voting on one question (the first vote and revotes).
	MaxRounds = 5
	// MessageRate is the messages per second one socket may send, sustained, and
	// MessageBurst how many at once: a teacher holding an arrow key stays under them.
	MessageRate  = 20
	MessageBurst = 40
	// MaxMessageBytes is the largest message a socket may send.
	MaxMessageBytes = 1024
	// RoomLifetime is how long a room lives after it is created: a lecture, with room to
	// spare. Its keys then expire from the bucket.
	RoomLifetime = 4 * time.Hour
	// MaxNickname is the longest optional nickname, in characters.
	MaxNickname = 24
	// MaxQuestions is the most questions a room carries (a lesson has a handful).
	MaxQuestions = 32
	// MaxChoices is the most choices of one question.
	MaxChoices = 8
	// OpTimeout bounds one operation on the key-value store.
	OpTimeout = 15 * time.Second
	// WriteTimeout bounds one write to a socket; a slower client is cut.
	WriteTimeout = 5 * time.Second
	// MaxPendingReplies is how many replies to a socket's own messages may wait to be
	// written; a socket with more does not read, and is cut. (Room states do not
	// queue: a newer one replaces one not yet written.)
	MaxPendingReplies = 16
	// FanoutWriters is how many goroutines of a replica write the rooms' messages to
	// their sockets. Writes to loopback or LAN sockets return at once, so a few keep
	// up with thousands of sockets; more let that many stuck writes wait for
	// WriteTimeout without holding up the others.
	FanoutWriters = 16
)
