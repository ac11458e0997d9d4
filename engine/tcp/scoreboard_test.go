package tcp

import "fmt"

// verify recounts the flags against the counts and checks the order of segments and
// SACKed ranges. Without SACK, sackedOut counts duplicate ACKs and is only bounded.
func (sb *scoreboard) verify(sack bool) error {
	var sacked, lost, retrans int
	for i := sb.head; i < len(sb.segs); i++ {
		s := sb.segs[i]
		if !s.start.LessThan(s.end) {
			return fmt.Errorf("segment %d is empty: [%d, %d)", i, s.start, s.end)
		}
		if i > sb.head && s.start.LessThan(sb.segs[i-1].end) {
			return fmt.Errorf("segment %d overlaps the one before", i)
		}
		if s.flags&sbSacked != 0 {
			sacked++
		}
		if s.flags&sbLost != 0 {
			lost++
		}
		if s.flags&sbRetrans != 0 {
			retrans++
		}
	}
	for j := 1; j < len(sb.sacked); j++ {
		if !sb.sacked[j-1].Right.LessThan(sb.sacked[j].Left) {
			return fmt.Errorf("SACKed ranges %v not disjoint and sorted", sb.sacked)
		}
	}
	if sack && sacked != sb.sackedOut || !sack && (sb.sackedOut < 0 || sb.sackedOut > sb.packetsOut()) {
		return fmt.Errorf("sacked_out %d, %d segments flagged (SACK %v, %d out)", sb.sackedOut, sacked, sack, sb.packetsOut())
	}
	if lost != sb.lostOut || retrans != sb.retransOut {
		return fmt.Errorf("lost_out %d retrans_out %d, flagged %d and %d", sb.lostOut, sb.retransOut, lost, retrans)
	}
	return nil
}
