package tcp

// The receiver's SACK blocks (RFC 2018 §4): what arrived out of order, reported to the
// sender on every segment while a hole is open, so that it can resend only the holes.
// Linux keeps them the same way (tcp_sack_new_ofo_skb, tcp_sack_remove, tcp_build_sack).

// maxSACKBlocks is how many blocks the receiver remembers (Linux TCP_NUM_SACKS): four
// fit in the option space without timestamps (2 + 4·8 = 34 of 40 bytes), three with them
// (RFC 2018 §3).
const maxSACKBlocks = 4

// sackBlocksFor is how many SACK blocks fit beside the other options of a non-SYN
// segment: 40 bytes less the timestamps' 12 (nop,nop,TS), less 4 for nop,nop,kind,len,
// in 8-byte blocks (Linux tcp_established_options).
func sackBlocksFor(tsOK bool) int {
	room := 40
	if tsOK {
		room -= 12
	}
	return min((room-4)/8, maxSACKBlocks)
}

// sackNoteArrival records an out-of-order arrival of [left, right) (RFC 2018 §4: "the
// first SACK block MUST specify the contiguous block of data containing the segment
// which triggered this ACK"; the others repeat the most recently reported blocks). A
// block the arrival touches or overlaps grows and moves to the front, and any block it
// now reaches merges into it; otherwise a new block goes in front and the oldest is
// forgotten when all four are in use (Linux tcp_sack_new_ofo_skb).
func (c *Conn) sackNoteArrival(left, right Seq) {
	if !c.sackOK {
		return
	}
	blocks := c.sackRcv
	for i, b := range blocks {
		if left.LessThanEq(b.Right) && b.Left.LessThanEq(right) {
			if left.LessThan(b.Left) {
				b.Left = left
			}
			if b.Right.LessThan(right) {
				b.Right = right
			}
			copy(blocks[1:i+1], blocks[:i])
			blocks[0] = b
			c.sackRcv = sackCoalesce(blocks)
			return
		}
	}
	if len(blocks) < maxSACKBlocks {
		blocks = append(blocks, SACKBlock{})
	}
	copy(blocks[1:], blocks[:len(blocks)-1])
	blocks[0] = SACKBlock{Left: left, Right: right}
	c.sackRcv = blocks
}

// sackCoalesce merges into the first block every other block it touches or overlaps
// (Linux tcp_sack_maybe_coalesce).
func sackCoalesce(blocks []SACKBlock) []SACKBlock {
	first := blocks[0]
	out := blocks[:1]
	for _, b := range blocks[1:] {
		if b.Left.LessThanEq(first.Right) && first.Left.LessThanEq(b.Right) {
			if b.Left.LessThan(first.Left) {
				first.Left = b.Left
			}
			if first.Right.LessThan(b.Right) {
				first.Right = b.Right
			}
			continue
		}
		out = append(out, b)
	}
	out[0] = first
	return out
}

// sackRemoveCovered forgets the blocks RCV.NXT has reached: the hole below them was
// filled (Linux tcp_sack_remove).
func (c *Conn) sackRemoveCovered() {
	if len(c.sackRcv) == 0 {
		return
	}
	keep := c.sackRcv[:0]
	for _, b := range c.sackRcv {
		if c.rcvNxt.LessThan(b.Left) {
			keep = append(keep, b)
		}
	}
	c.sackRcv = keep
}

// sackOption is the SACK option a segment carries: a D-SACK block first when dsack is
// set (RFC 2883 §4), then the receiver's blocks, as many as fit. ok is false when there
// is nothing to report.
func (c *Conn) sackOption(dsack *SACKBlock) (Option, bool) {
	if !c.sackOK || dsack == nil && len(c.sackRcv) == 0 {
		return Option{}, false
	}
	room := sackBlocksFor(c.tsOK)
	blocks := make([]SACKBlock, 0, room)
	if dsack != nil {
		blocks = append(blocks, *dsack)
	}
	for _, b := range c.sackRcv {
		if len(blocks) == room {
			break
		}
		if dsack != nil && b == *dsack {
			continue
		}
		blocks = append(blocks, b)
	}
	return Option{Kind: OptSACK, Blocks: blocks}, true
}
