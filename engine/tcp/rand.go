package tcp

import (
	"encoding/binary"
	"math/bits"
)

// Rand is a small deterministic random source (xoshiro256**), seeded by the simulation.
// Nothing in the engine draws randomness from anywhere else.
type Rand struct{ s [4]uint64 }

// NewRand returns a source seeded from seed with SplitMix64, so nearby seeds give
// unrelated streams.
func NewRand(seed uint64) *Rand {
	r := &Rand{}
	for i := range r.s {
		seed += 0x9e3779b97f4a7c15
		z := seed
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		r.s[i] = z ^ (z >> 31)
	}
	return r
}

// Uint64 returns the next 64 random bits.
func (r *Rand) Uint64() uint64 {
	s := &r.s
	result := bits.RotateLeft64(s[1]*5, 7) * 9
	t := s[1] << 17
	s[2] ^= s[0]
	s[3] ^= s[1]
	s[1] ^= s[2]
	s[0] ^= s[3]
	s[2] ^= t
	s[3] = bits.RotateLeft64(s[3], 45)
	return result
}

// Uint32 returns the next 32 random bits.
func (r *Rand) Uint32() uint32 { return uint32(r.Uint64() >> 32) }

// Intn returns a number in [0, n). n must be positive.
func (r *Rand) Intn(n int) int { return int(r.Uint64() % uint64(n)) }

// Float64 returns a number in [0, 1).
func (r *Rand) Float64() float64 { return float64(r.Uint64()>>11) / (1 << 53) }

// Key returns a fresh 128-bit key for a keyed hash.
func (r *Rand) Key() [2]uint64 { return [2]uint64{r.Uint64(), r.Uint64()} }

// sipHash24 is SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF",
// 2012), the keyed hash Linux uses for ISNs (RFC 6528) and SYN cookies.
func sipHash24(k [2]uint64, msg []byte) uint64 {
	v0 := k[0] ^ 0x736f6d6570736575
	v1 := k[1] ^ 0x646f72616e646f6d
	v2 := k[0] ^ 0x6c7967656e657261
	v3 := k[1] ^ 0x7465646279746573
	n := len(msg)
	for len(msg) >= 8 {
		m := binary.LittleEndian.Uint64(msg)
		v3 ^= m
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
		v0 ^= m
		msg = msg[8:]
	}
	var last [8]byte
	copy(last[:], msg)
	last[7] = byte(n)
	return sipFinish(v0, v1, v2, v3, binary.LittleEndian.Uint64(last[:]))
}

// sipHash24Words is sipHash24 of the 16 bytes m0, m1 (little-endian), without a slice:
// the SYN cookie hashes a 4-tuple twice per SYN.
func sipHash24Words(k [2]uint64, m0, m1 uint64) uint64 {
	v0 := k[0] ^ 0x736f6d6570736575
	v1 := k[1] ^ 0x646f72616e646f6d
	v2 := k[0] ^ 0x6c7967656e657261
	v3 := k[1] ^ 0x7465646279746573
	for _, m := range [2]uint64{m0, m1} {
		v3 ^= m
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
		v0 ^= m
	}
	return sipFinish(v0, v1, v2, v3, 16<<56)
}

// sipFinish absorbs the last block m and runs SipHash's four finalization rounds.
func sipFinish(v0, v1, v2, v3, m uint64) uint64 {
	v3 ^= m
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0 ^= m
	v2 ^= 0xff
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	return v0 ^ v1 ^ v2 ^ v3
}

// sipRound is one SipRound.
func sipRound(v0, v1, v2, v3 uint64) (uint64, uint64, uint64, uint64) {
	v0 += v1
	v1 = bits.RotateLeft64(v1, 13)
	v1 ^= v0
	v0 = bits.RotateLeft64(v0, 32)
	v2 += v3
	v3 = bits.RotateLeft64(v3, 16)
	v3 ^= v2
	v0 += v3
	v3 = bits.RotateLeft64(v3, 21)
	v3 ^= v0
	v2 += v1
	v1 = bits.RotateLeft64(v1, 17)
	v1 ^= v2
	v2 = bits.RotateLeft64(v2, 32)
	return v0, v1, v2, v3
}

// tupleHash hashes a connection's addresses and ports, plus extra, with key k.
func tupleHash(k [2]uint64, t Tuple, extra uint32) uint32 {
	var b [16]byte
	la, ra := t.LocalAddr.As4(), t.RemoteAddr.As4()
	copy(b[0:4], ra[:])
	copy(b[4:8], la[:])
	binary.BigEndian.PutUint16(b[8:], t.RemotePort)
	binary.BigEndian.PutUint16(b[10:], t.LocalPort)
	binary.BigEndian.PutUint32(b[12:], extra)
	return uint32(sipHash24Words(k, binary.LittleEndian.Uint64(b[0:]), binary.LittleEndian.Uint64(b[8:])))
}
