package tcp

// Cookie is the decoded content of a SYN cookie ISN, as Linux's net/ipv4/syncookies.c
// builds it:
//
//	ISN = hash1 + client ISN + (counter << 24) + ((hash2 + mssIndex) & 0xFFFFFF)
//
// The trace carries every field so that a lesson can take the engine's own number apart.
type Cookie struct {
	ISN       Seq    // the SYN-ACK's sequence number
	Hash1     uint32 // keyed hash of the 4-tuple
	ClientISN Seq    // the SYN's sequence number
	Counter   uint32 // minute counter (the top 8 bits of the cookie, before the hash addition)
	Hash2     uint32 // keyed hash of the 4-tuple and counter, low 24 bits used
	MSSIndex  uint8  // index into CookieMSSTable
	MSS       uint16 // the MSS the index stands for
	HasTS     bool   // timestamps on: the low 6 bits of TSval carry the options
	TSBits    uint8  // wscale (4 bits, 0xF for none), SACK (bit 4), ECN (bit 5)
}

// CookieMSSTable is Linux's msstab for IPv4 SYN cookies (net/ipv4/syncookies.c): an MSS
// is encoded as the index of the largest entry not above it.
var CookieMSSTable = [4]uint16{536, 1300, 1440, 1460}
