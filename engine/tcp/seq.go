package tcp

// Seq is a 32-bit TCP sequence number. Comparisons are modular, as RFC 9293 §3.4 and
// Linux's before()/after() define them: a is before b when int32(a-b) < 0.
type Seq uint32

// Add returns s advanced by n octets of sequence space.
func (s Seq) Add(n uint32) Seq { return s + Seq(n) }

// Sub returns the distance from o to s (s - o) in sequence space.
func (s Seq) Sub(o Seq) uint32 { return uint32(s - o) }

// LessThan reports whether s comes before o.
func (s Seq) LessThan(o Seq) bool { return int32(s-o) < 0 }

// LessThanEq reports whether s comes before o or equals it.
func (s Seq) LessThanEq(o Seq) bool { return int32(s-o) <= 0 }

// InWindow reports whether s lies in [start, start+size).
func (s Seq) InWindow(start Seq, size uint32) bool {
	return s.Sub(start) < size
}
