package tcp

import (
	"errors"
	"testing"
	"time"
)

// TestKeepalive: RFC 1122 §4.2.3.6. With keep-alives on, two hours of silence bring a
// probe (SEQ = SND.UNA − 1, no data); an answer puts the next one two hours after it;
// unanswered, probes follow each other at the interval, and after the count the
// connection is dropped with ETIMEDOUT: silently in the RFC profile, with a reset in
// Linux's.
func TestKeepalive(t *testing.T) {
	for _, tc := range []struct {
		name string
		prof Profile
		rst  bool
	}{
		{"rfc", plainProfile(), false},
		{"linux", LinuxProfile(), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, tc.prof)
			iss := r.established()
			r.c.SetKeepalive(Keepalive{On: true})
			if k := r.c.Keepalive(); k.Idle != 2*time.Hour || k.Interval != 75*time.Second || k.Count != 9 {
				t.Fatalf("defaults %+v, want 2 h, 75 s, 9", k)
			}
			probe := want{flags: ACK, seq: iss, ack: r.their + 1}
			r.advance(2*time.Hour - time.Millisecond)
			r.expectNothing()
			r.advance(time.Millisecond)
			r.expect(probe)
			if !r.noted("keepalive-probe") {
				t.Error("no keepalive-probe note")
			}
			// The answer comes a second later: the next probe is two hours after it.
			r.advance(time.Second)
			r.in(r.from(ACK, r.their+1, iss+1))
			r.expectNothing()
			r.advance(2*time.Hour - time.Millisecond)
			r.expectNothing()
			r.advance(time.Millisecond)
			r.expect(probe)
			for i := 1; i < 9; i++ {
				r.advance(75 * time.Second)
				r.expect(probe)
			}
			r.advance(75 * time.Second)
			if tc.rst {
				r.expect(want{flags: RST | ACK, seq: iss + 1, ack: r.their + 1})
			} else {
				r.expectNothing()
			}
			if !errors.Is(r.c.Err, ETIMEDOUT) || r.c.State() != Closed {
				t.Fatalf("after 9 unanswered probes: err %v state %s, want ETIMEDOUT and CLOSED", r.c.Err, r.c.State())
			}
		})
	}
}

// TestKeepaliveNotIdle: data in flight is no silence; no probe goes while it waits.
func TestKeepaliveNotIdle(t *testing.T) {
	r := newRig(t, plainProfile())
	iss := r.established()
	r.c.SetKeepalive(Keepalive{On: true, Idle: 10 * time.Second, Interval: time.Second, Count: 3})
	r.advance(9 * time.Second)
	r.in(r.from(ACK, r.their+1, iss+1, 'x'))
	r.expect(want{flags: ACK, seq: iss + 1, ack: r.their + 2})
	r.advance(9 * time.Second) // 10 s after the start, 9 s after the data: no probe yet
	r.expectNothing()
	r.advance(time.Second)
	r.expect(want{flags: ACK, seq: iss, ack: r.their + 2})
	r.c.SetKeepalive(Keepalive{})
	r.advance(time.Hour)
	r.expectNothing()
}
