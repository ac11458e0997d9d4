package passive

import "strings"

// Anomaly is one of the things TCP analysis flags on a segment, as Wireshark's TCP
// dissector flags it (its "SEQ/ACK analysis" and the RST bit). A segment may carry
// several; Anomalies is the set.
type Anomaly uint8

// The anomalies, each named after the tshark field that flags it.
const (
	Retransmission         Anomaly = iota // tcp.analysis.retransmission
	FastRetransmission                    // tcp.analysis.fast_retransmission
	SpuriousRetransmission                // tcp.analysis.spurious_retransmission
	DuplicateACK                          // tcp.analysis.duplicate_ack
	OutOfOrder                            // tcp.analysis.out_of_order
	LostSegment                           // tcp.analysis.lost_segment: "previous segment not captured"
	ZeroWindow                            // tcp.analysis.zero_window
	WindowFull                            // tcp.analysis.window_full
	KeepAlive                             // tcp.analysis.keep_alive
	ReusedPorts                           // tcp.analysis.reused_ports
	Reset                                 // tcp.flags.reset: the connection was reset
	NumAnomalies
)

var anomalyInfo = [NumAnomalies]struct {
	key, name, field string
}{
	{"retransmission", "retransmission", "tcp.analysis.retransmission"},
	{"fast_retransmission", "fast retransmission", "tcp.analysis.fast_retransmission"},
	{"spurious_retransmission", "spurious retransmission", "tcp.analysis.spurious_retransmission"},
	{"duplicate_ack", "duplicate ACK", "tcp.analysis.duplicate_ack"},
	{"out_of_order", "out-of-order", "tcp.analysis.out_of_order"},
	{"lost_segment", "previous segment not captured", "tcp.analysis.lost_segment"},
	{"zero_window", "zero window", "tcp.analysis.zero_window"},
	{"window_full", "window full", "tcp.analysis.window_full"},
	{"keep_alive", "keep-alive", "tcp.analysis.keep_alive"},
	{"reused_ports", "reused ports", "tcp.analysis.reused_ports"},
	{"rst", "RST", "tcp.flags.reset"},
}

// Key returns the anomaly's JSON key, e.g. "duplicate_ack".
func (a Anomaly) Key() string { return anomalyInfo[a].key }

// String returns the anomaly's name as Wireshark's expert information words it, e.g.
// "previous segment not captured".
func (a Anomaly) String() string { return anomalyInfo[a].name }

// Field returns the tshark field that flags the anomaly, e.g. "tcp.analysis.duplicate_ack".
func (a Anomaly) Field() string { return anomalyInfo[a].field }

// ParseAnomaly returns the anomaly with the given key or tshark field.
func ParseAnomaly(s string) (Anomaly, bool) {
	for i, in := range anomalyInfo {
		if in.key == s || in.field == s {
			return Anomaly(i), true
		}
	}
	return 0, false
}

// Anomalies is a set of anomalies.
type Anomalies uint16

// Has reports whether a is in the set.
func (s Anomalies) Has(a Anomaly) bool { return s&(1<<a) != 0 }

// With returns the set with a added.
func (s Anomalies) With(a Anomaly) Anomalies { return s | 1<<a }

// List returns the anomalies of the set in order.
func (s Anomalies) List() []Anomaly {
	var out []Anomaly
	for a := Anomaly(0); a < NumAnomalies; a++ {
		if s.Has(a) {
			out = append(out, a)
		}
	}
	return out
}

// String joins the names, e.g. "retransmission, zero window".
func (s Anomalies) String() string {
	var names []string
	for _, a := range s.List() {
		names = append(names, a.String())
	}
	return strings.Join(names, ", ")
}
