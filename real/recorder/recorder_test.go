package recorder

import (
	"strings"
	"testing"

	"synack/engine/handshakes"
)

// Re-running the recorder gives the committed transcripts' structure: the same flights,
// each with the same records or packets and the same messages or frames inside. Sizes
// may drift by a few bytes (signatures, ticket lifetimes); the structure may not. A
// change here means the pinned stacks behave differently: re-record with
// 'go generate ./engine/handshakes' and read the diff.
func TestRecordingMatchesCommittedTranscripts(t *testing.T) {
	committed, err := handshakes.All()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*handshakes.Transcript{}
	for _, c := range committed {
		byID[c.ID] = c
	}
	for _, id := range IDs() {
		want, ok := byID[id]
		if !ok {
			t.Errorf("%s: no committed transcript", id)
			continue
		}
		// The recorder groups flights by waiting for both stacks to fall quiet; on a
		// loaded machine a stack can pause mid-flight, so a mismatch is recorded again
		// (at most recordAttempts times) before it counts.
		var got *handshakes.Transcript
		var g, w string
		for range recordAttempts {
			var err error
			if got, err = Record(id); err != nil {
				t.Fatalf("%s: %v", id, err)
			}
			if g, w = strings.Join(got.Shape(), "\n"), strings.Join(want.Shape(), "\n"); g == w {
				break
			}
		}
		if g != w {
			t.Errorf("%s: structure changed:\n got %s\nwant %s", id, g, w)
			continue
		}
		if got.Group != want.Group {
			t.Errorf("%s: group %s, committed %s", id, got.Group, want.Group)
		}
		for i := range got.Flights {
			g, w := flightBytes(got.Flights[i]), flightBytes(want.Flights[i])
			if d := g - w; d < -maxDrift || d > maxDrift {
				t.Errorf("%s: flight %d is %d bytes, committed %d", id, i+1, g, w)
			}
		}
	}
}

// maxDrift is how far a flight's size may move between recordings: a few bytes of
// signature, or one more packet header when QUIC puts a STREAM or 0-RTT packet in a
// datagram of its own instead of coalescing it.
const maxDrift = 96

// recordAttempts bounds how often a variant is recorded before a different structure
// fails the test.
const recordAttempts = 3

func flightBytes(f handshakes.Flight) int {
	n := 0
	for _, m := range f.Messages {
		n += len(m.Hex) / 2
	}
	return n
}
