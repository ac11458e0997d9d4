package tcp

import (
	"encoding/binary"
	"testing"
)

// The reference vector from the SipHash paper (Appendix A): key 00 01 .. 0f, message
// 00 01 .. 0e (15 bytes), SipHash-2-4 output a129ca6149be45e5.
func TestSipHashPaperVector(t *testing.T) {
	var key [2]uint64
	kb := make([]byte, 16)
	for i := range kb {
		kb[i] = byte(i)
	}
	for i := 0; i < 8; i++ {
		key[0] |= uint64(kb[i]) << (8 * i)
		key[1] |= uint64(kb[8+i]) << (8 * i)
	}
	msg := make([]byte, 15)
	for i := range msg {
		msg[i] = byte(i)
	}
	if got, want := sipHash24(key, msg), uint64(0xa129ca6149be45e5); got != want {
		t.Fatalf("sipHash24 = %#x, want %#x", got, want)
	}
}

func TestRandIsDeterministicAndSeedSensitive(t *testing.T) {
	a, b, c := NewRand(7), NewRand(7), NewRand(8)
	same := true
	for i := 0; i < 100; i++ {
		x, y, z := a.Uint64(), b.Uint64(), c.Uint64()
		if x != y {
			t.Fatalf("draw %d: same seed gave %d and %d", i, x, y)
		}
		if x != z {
			same = false
		}
	}
	if same {
		t.Fatal("seeds 7 and 8 gave the same 100 draws")
	}
}

// The two-word SipHash is SipHash of the same 16 bytes.
func TestSipHash24Words(t *testing.T) {
	r := NewRand(3)
	for range 1000 {
		k := r.Key()
		var b [16]byte
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		m0, m1 := binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])
		if got, want := sipHash24Words(k, m0, m1), sipHash24(k, b[:]); got != want {
			t.Fatalf("sipHash24Words(%x) = %x, want %x", b, got, want)
		}
	}
}
