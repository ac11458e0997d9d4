package tcp

import (
	"errors"
	"testing"
	"time"
)

// TestPersistTimer: RFC 9293 §3.8.6.1 and RFC 1122 §4.2.2.17. A zero window with data
// waiting and nothing in flight arms the persist timer; each probe (SEQ = SND.UNA − 1,
// no data) doubles the interval; an answer that still shows a zero window times the
// next probe from the answer; once the window opens the data goes out.
func TestPersistTimer(t *testing.T) {
	r := newRig(t, plainProfile())
	iss := r.established()
	zero := r.from(ACK, r.their+1, iss+1)
	zero.Window = 0
	r.in(zero)
	r.expectNothing()
	if _, err := r.c.Send(make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	r.expectNothing()
	rto := r.c.rto // 1 s: no RTT sample yet
	r.advance(rto - time.Millisecond)
	r.expectNothing()
	r.advance(time.Millisecond)
	r.expect(want{flags: ACK, seq: iss, ack: r.their + 1}) // SND.UNA − 1
	if !r.noted("zero-window-probe") {
		t.Error("no zero-window-probe note")
	}
	// Unanswered: the next probe comes after twice the interval.
	r.advance(2*rto - time.Millisecond)
	r.expectNothing()
	r.advance(time.Millisecond)
	r.expect(want{flags: ACK, seq: iss, ack: r.their + 1})
	if got := r.c.Info()["backoff"]; got != 2 {
		t.Errorf("backoff = %d after two probes, want 2", got)
	}
	// Answered with a zero window after 100 ms: the third probe is 4·RTO after the answer.
	r.advance(100 * time.Millisecond)
	r.in(zero)
	r.expectNothing()
	if got := r.c.Info()["probes"]; got != 0 {
		t.Errorf("probes = %d after an answer, want 0", got)
	}
	r.advance(4*rto - time.Millisecond)
	r.expectNothing()
	r.advance(time.Millisecond)
	r.expect(want{flags: ACK, seq: iss, ack: r.their + 1})
	// The window opens: the data goes, and no more probes.
	r.in(r.from(ACK, r.their+1, iss+1))
	r.expect(want{flags: ACK | PSH, seq: iss + 1, ack: r.their + 1, len: 100})
	if r.c.armed(TimerPersist) {
		t.Error("persist timer still armed with data in flight")
	}
}

// TestPersistGivesUp: unanswered probes end the connection with ETIMEDOUT after the
// profile's retry count (Linux tcp_retries2, 15).
func TestPersistGivesUp(t *testing.T) {
	r := newRig(t, LinuxProfile())
	iss := r.established()
	zero := r.from(ACK, r.their+1, iss+1)
	zero.Window = 0
	r.in(zero)
	r.c.Send(make([]byte, 100))
	r.h.TakeOutput()
	probes := 0
	for i := 0; i < 40 && r.c.State() == Established; i++ {
		r.advance(r.h.NextDeadline().Sub(r.now))
		probes += len(r.h.TakeOutput())
	}
	if !errors.Is(r.c.Err, ETIMEDOUT) || probes != r.h.Prof.DataRetries {
		t.Fatalf("after %d probes: err %v state %s, want ETIMEDOUT after %d", probes, r.c.Err, r.c.State(), r.h.Prof.DataRetries)
	}
}
