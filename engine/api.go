package engine

import (
	"time"

	"synack/engine/catalog"
)

// Text is a user-visible string in both of synack's languages (the string catalogue's
// own type, so the engine's errors and notes can be catalogue texts).
type Text = catalog.Text

// Params are the knobs a reader may turn on a scenario.
type Params struct {
	Profile string        // "linux" (default) or "rfc"
	Seed    uint64        // seeds ISNs, jitter and random loss
	RTT     time.Duration // round-trip time of the path; default 100 ms
	Drop    []int         // IDs of segments the link drops (1-based, in order of sending)
	// Jitter adds up to this much delay to each segment, drawn from the seed.
	Jitter time.Duration
	// Loss is the probability that the link loses a segment, drawn from the seed.
	Loss float64
	// Rate, when positive, makes each direction of the path a bottleneck of Rate bits
	// per second with a drop-tail queue of Queue packets (default DefaultQueue).
	Rate  int64
	Queue int
}

// Limits on Params.
const (
	MinRTT = time.Millisecond
	MaxRTT = 2 * time.Second
	// MaxDrops is how many segment IDs one run may drop.
	MaxDrops = 16
	// MaxLoss is the highest random loss rate a run may ask for.
	MaxLoss = 0.5
	// DefaultQueue is a bottleneck's queue, in packets, when Params gives none.
	DefaultQueue = 100
)
