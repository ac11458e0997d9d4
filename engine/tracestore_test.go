package engine

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"synack/engine/tcp"
)

// Every event of every scenario, appended to a fresh trace, reads back equal in every
// field, and the copy's JSON is the reviewed golden file byte for byte.
func TestTraceRoundTripsEveryScenario(t *testing.T) {
	for _, sc := range testStories {
		t.Run(sc.id, func(t *testing.T) {
			tr, err := sc.story.Run(sc.id, DefaultParams())
			if err != nil {
				t.Fatal(err)
			}
			cp := Trace{Meta: tr.Meta}
			for _, e := range tr.All() {
				cp.Append(e)
			}
			if cp.Len() != tr.Len() {
				t.Fatalf("copy has %d events, want %d", cp.Len(), tr.Len())
			}
			for i := range tr.Len() {
				if d := cmp.Diff(tr.Event(i), cp.Event(i), exact); d != "" {
					t.Fatalf("event %d (-recorded +read back):\n%s", i, d)
				}
			}
			want, err := os.ReadFile(filepath.Join("testdata", "golden", sc.id+".jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(cp.JSONLines(), want) {
				t.Fatal("the copy's JSON lines differ from the golden trace")
			}
		})
	}
}

// randomEvent returns an event with every field its kind keeps drawn from r, including
// the forms a store could confuse: zero, IPv4, IPv6 and zoned addresses; nil and empty
// option lists, SACK blocks, option data and payloads; a cookie or none.
func randomEvent(r *tcp.Rand) tcp.Event {
	pick := func(ss ...string) string { return ss[r.Intn(len(ss))] }
	kind := tcp.EventKind(1 + r.Intn(6))
	e := tcp.Event{Kind: kind, At: tcp.Time(r.Uint64() >> 1)}
	if kind != tcp.EventSegment {
		e.Endpoint, e.Peer = pick("", "client", "server"), pick("", "attacker-1", "client")
		e.From, e.To, e.Cause = tcp.State(r.Intn(12)), tcp.State(r.Intn(12)), pick("", "rcv SYN", "close()")
		e.Call, e.Result, e.Bytes = pick("", "send"), pick("", "ok", "ETIMEDOUT"), int(int64(r.Uint64()))
		e.Timer, e.Action = tcp.TimerKind(r.Intn(5)), tcp.TimerAction(r.Intn(3))
		e.Deadline, e.Duration = tcp.Time(int64(r.Uint64())), time.Duration(int64(r.Uint64()))
		e.Note, e.Detail = pick("", "challenge-ack"), pick("", "détail 细节", "x\x00y")
		e.SynQueue, e.AcceptQueue, e.Backlog = r.Intn(1<<20), -r.Intn(3), int(int64(r.Uint64()))
		return e
	}
	addr := func() netip.Addr {
		switch r.Intn(4) {
		case 0:
			return netip.Addr{}
		case 1:
			return netip.AddrFrom4([4]byte{byte(r.Uint32()), 0, 2, byte(r.Uint32())})
		case 2:
			return netip.MustParseAddr("2001:db8::1")
		}
		return netip.MustParseAddr("fe80::1%eth0")
	}
	bytesOf := func() []byte {
		switch r.Intn(4) {
		case 0:
			return nil
		case 1:
			return []byte{}
		case 2:
			return bytes.Repeat([]byte{byte(r.Uint32())}, 1+r.Intn(40))
		}
		return bytes.Repeat([]byte{7}, 1+r.Intn(300))
	}
	var opts tcp.Options
	switch r.Intn(3) {
	case 1:
		opts = tcp.Options{}
	case 2:
		for range 1 + r.Intn(4) {
			o := tcp.Option{Kind: tcp.OptionKind(r.Intn(40)), MSS: uint16(r.Uint32()), Shift: uint8(r.Uint32()),
				TSVal: r.Uint32(), TSEcr: r.Uint32()}
			switch r.Intn(3) {
			case 1:
				o.Blocks = []tcp.SACKBlock{}
			case 2:
				o.Blocks = []tcp.SACKBlock{{Left: tcp.Seq(r.Uint32()), Right: tcp.Seq(r.Uint32())}}
			}
			if r.Intn(2) == 0 {
				o.Data = bytesOf()
			}
			if r.Intn(2) == 0 {
				o.Cookie = bytesOf()
			}
			opts = append(opts, o)
		}
	}
	s := &tcp.SegmentEvent{ID: int(r.Uint32()), Src: pick("client", "server", "attacker-1"), Dst: pick("", "server"),
		Seg: tcp.Segment{Src: addr(), Dst: addr(), SrcPort: uint16(r.Uint32()), DstPort: uint16(r.Uint32()),
			Seq: tcp.Seq(r.Uint32()), Ack: tcp.Seq(r.Uint32()), Flags: tcp.Flags(r.Uint32()), Window: uint16(r.Uint32()),
			Urgent: uint16(r.Uint32()), Options: opts, Payload: bytesOf(), IPID: uint16(r.Uint32()),
			TTL: uint8(r.Uint32()), UDP: r.Intn(2) == 0},
		Fate: tcp.Fate(r.Intn(3)), Arrive: tcp.Time(r.Uint64() >> 1), Retransmit: r.Intn(2) == 0,
		Fault: pick("", "drop", "loss"), DupOf: int(r.Uint32()), Label: pick("", "ClientHello"), Handshake: r.Intn(2) == 0}
	if r.Intn(2) == 0 {
		s.Cookie = &tcp.Cookie{ISN: tcp.Seq(r.Uint32()), Hash1: r.Uint32(), ClientISN: tcp.Seq(r.Uint32()), Counter: r.Uint32(),
			Hash2: r.Uint32(), MSSIndex: uint8(r.Uint32()), MSS: uint16(r.Uint32()), HasTS: r.Intn(2) == 0, TSBits: uint8(r.Uint32())}
	}
	e.Segment = s
	return e
}

// exact compares nil and empty slices apart, as the store promises.
var exact = cmp.Options{cmp.Comparer(func(a, b netip.Addr) bool { return a == b })}

func checkRoundTrip(t *testing.T, seed uint64, n int) {
	t.Helper()
	r := tcp.NewRand(seed)
	var tr Trace
	want := make([]tcp.Event, n)
	for i := range want {
		want[i] = randomEvent(r)
		tr.Append(want[i])
	}
	if tr.Len() != n {
		t.Fatalf("Len() = %d, want %d", tr.Len(), n)
	}
	for i := range want {
		if got := tr.Event(i); reflect.DeepEqual(want[i], got) {
			continue
		} else if d := cmp.Diff(want[i], got, exact); d != "" {
			t.Fatalf("seed %d, event %d (-appended +read back):\n%s", seed, i, d)
		}
	}
	for i, e := range tr.Scan() {
		if reflect.DeepEqual(want[i], *e) {
			continue
		} else if d := cmp.Diff(want[i], *e, exact); d != "" {
			t.Fatalf("seed %d, scanned event %d (-appended +read back):\n%s", seed, i, d)
		}
	}
}

// Events read back exactly as appended, across a column's first chunk and the next
// (traceChunk) and across payloads at the arena's own-chunk size (arenaChunk/4).
func TestTraceStoreEdges(t *testing.T) {
	for _, n := range []int{0, 1, traceChunk - 1, traceChunk, traceChunk + 1} {
		checkRoundTrip(t, uint64(n), n)
	}
	var tr Trace
	sizes := []int{0, 1, arenaChunk/4 - 1, arenaChunk / 4, arenaChunk/4 + 1, arenaChunk, arenaChunk + 1, 3}
	for i, n := range sizes {
		tr.Append(tcp.Event{Kind: tcp.EventSegment, Segment: &tcp.SegmentEvent{ID: i, Seg: tcp.Segment{Payload: bytes.Repeat([]byte{byte(i + 1)}, n)}}})
	}
	for i, n := range sizes {
		if p := tr.Event(i).Segment.Seg.Payload; !bytes.Equal(p, bytes.Repeat([]byte{byte(i + 1)}, n)) || cap(p) != n {
			t.Errorf("payload %d: %d bytes (cap %d), want %d of %d", i, len(p), cap(p), n, i+1)
		}
	}
}

// A reordered segment's arrival is changed after it was recorded; the change reads back.
func TestTraceSetArrive(t *testing.T) {
	var tr Trace
	tr.Append(tcp.Event{Kind: tcp.EventNote, Note: "x"})
	tr.Append(tcp.Event{Kind: tcp.EventSegment, Segment: &tcp.SegmentEvent{ID: 1, Arrive: 5}})
	tr.setArrive(1, 9)
	if got := tr.Event(1).Segment.Arrive; got != 9 {
		t.Fatalf("Arrive = %d, want 9", got)
	}
	if got := tr.End(); got != 9 {
		t.Fatalf("End() = %d, want 9", got)
	}
}

func FuzzTraceRoundTrip(f *testing.F) {
	f.Add(uint64(1), uint16(10))
	f.Add(uint64(2), uint16(300))
	f.Fuzz(func(t *testing.T, seed uint64, n uint16) {
		checkRoundTrip(t, seed, int(n%2000))
	})
}

// Strings and option lists read back the same on either side of internScan, where a
// table starts to be indexed by a map, and one interned before the switch keeps its id.
func TestTraceInternTables(t *testing.T) {
	for _, n := range []int{internScan - 1, internScan, internScan + 1, 3 * internScan} {
		var tr Trace
		var want []tcp.Event
		add := func(e tcp.Event) {
			tr.Append(e)
			want = append(want, e)
		}
		for i := range n {
			add(tcp.Event{Kind: tcp.EventNote, Endpoint: "client", Note: "n", Detail: strconv.Itoa(i)})
			add(tcp.Event{Kind: tcp.EventSegment, Segment: &tcp.SegmentEvent{ID: i, Src: "client",
				Seg: tcp.Segment{Options: tcp.Options{{Kind: tcp.OptTimestamps, TSVal: uint32(i)}}}}})
		}
		// Again, in a different order: nothing new is interned.
		strs, lists := len(tr.store.strs), len(tr.store.optLists)
		for i := n - 1; i >= 0; i-- {
			add(tcp.Event{Kind: tcp.EventNote, Endpoint: "client", Note: "n", Detail: strconv.Itoa(i)})
			add(tcp.Event{Kind: tcp.EventSegment, Segment: &tcp.SegmentEvent{ID: i, Src: "client",
				Seg: tcp.Segment{Options: tcp.Options{{Kind: tcp.OptTimestamps, TSVal: uint32(i)}}}}})
		}
		if len(tr.store.strs) != strs || len(tr.store.optLists) != lists {
			t.Errorf("n=%d: tables grew from %d strings and %d lists to %d and %d on the same values",
				n, strs, lists, len(tr.store.strs), len(tr.store.optLists))
		}
		for i := range want {
			if got := tr.Event(i); !reflect.DeepEqual(got, want[i]) {
				t.Fatalf("n=%d, event %d:\n%s", n, i, cmp.Diff(want[i], got, exact))
			}
		}
	}
}
