package classroom

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// startNATS runs a real nats-server with JetStream on a loopback port, as a
// deployment's would be, and returns its URL.
func startNATS(t testing.TB) (string, *server.Server) {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	return ns.ClientURL(), ns
}

// clock is a test's clock, moved by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func openHub(t testing.TB, cfg Config) *Hub {
	t.Helper()
	h, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

var handshakeQ = []Question{{Step: 6, Choices: []string{"LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED"}, Answer: "SYN-RECEIVED",
	Ask: map[string]string{"en": "Which state?", "zh": "哪个状态？"}}}

func TestRoomOnEmbeddedServer(t *testing.T) {
	ctx := context.Background()
	h := openHub(t, Config{})
	r, key, err := h.Create(ctx, Spec{Lesson: "three-way-handshake", Lang: "en", Questions: handshakeQ})
	if err != nil {
		t.Fatal(err)
	}
	if NormalizeCode(r.Code) != r.Code || len(key) != 32 {
		t.Fatalf("code %q, key %q", r.Code, key)
	}
	if strings.Contains(r.KeyHash, key) {
		t.Fatal("the room stores the teacher's secret itself")
	}
	if _, err := h.Command(ctx, r.Code, "wrong", Command{Type: "step", Step: 3}); !errors.Is(err, ErrNotTeacher) {
		t.Fatalf("a command without the secret: %v, want ErrNotTeacher", err)
	}
	if _, err := h.Command(ctx, r.Code, key, Command{Type: "step", Step: 5}); err != nil {
		t.Fatal(err)
	}
	s1, _, err := h.Join(ctx, r.Code, "", "")
	if err != nil {
		t.Fatal(err)
	}
	s2, _, _ := h.Join(ctx, r.Code, "", "Ada")
	again, room, _ := h.Join(ctx, r.Code, s1, "")
	if n := h.Students(ctx, r.Code); again != s1 || n != 2 {
		t.Fatalf("rejoin gave %q with %d students, want the same id and 2", again, n)
	}
	if err := h.Answer(ctx, r.Code, s1, 0, 1, "SYN-SENT"); !errors.Is(err, ErrNotVoting) {
		t.Fatalf("an answer before the question is asked: %v, want ErrNotVoting", err)
	}
	h.Command(ctx, r.Code, key, Command{Type: "ask", Question: 0})
	if err := h.Answer(ctx, r.Code, s1, 0, 1, "SYN-SENT"); err != nil {
		t.Fatal(err)
	}
	if err := h.Answer(ctx, r.Code, s2, 0, 1, "CLOSED"); !errors.Is(err, ErrBadChoice) {
		t.Fatalf("a choice that is not offered: %v", err)
	}
	h.Answer(ctx, r.Code, s2, 0, 1, "SYN-RECEIVED")
	room, err = h.Command(ctx, r.Code, key, Command{Type: "show"})
	if err != nil {
		t.Fatal(err)
	}
	if st := StateOf(room); st.Phase != PhaseHistogram || !equalInts(st.Counts, []int{0, 1, 1, 0}) || st.Answer != "" {
		t.Fatalf("after show: %+v", st)
	}
	if err := h.Answer(ctx, r.Code, s1, 0, 1, "LISTEN"); !errors.Is(err, ErrNotVoting) {
		t.Fatalf("an answer once the histogram is shown: %v", err)
	}
	room, _ = h.Command(ctx, r.Code, key, Command{Type: "revote"})
	if room.Round != 2 || room.Phase != PhaseVoting || room.Counts != nil {
		t.Fatalf("revote: %+v", room)
	}
	if err := h.Answer(ctx, r.Code, s1, 0, 2, "SYN-RECEIVED"); err != nil {
		t.Fatal(err)
	}
	if got := h.Mine(ctx, room, s1); got != 2 {
		t.Fatalf("Mine = %d, want 2", got)
	}
	room, _ = h.Command(ctx, r.Code, key, Command{Type: "reveal"})
	if st := StateOf(room); st.Answer != "SYN-RECEIVED" || !equalInts(st.Counts, []int{0, 0, 1, 0}) {
		t.Fatalf("after reveal: %+v", st)
	}
	_, votes, nicks, err := h.Votes(ctx, r.Code, key)
	if err != nil || len(votes) != 3 || nicks[s2] != "Ada" {
		t.Fatalf("Votes: %v %+v %v", err, votes, nicks)
	}
	if _, _, _, err := h.Votes(ctx, r.Code, ""); !errors.Is(err, ErrNotTeacher) {
		t.Fatalf("Votes without the secret: %v", err)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The limits, each at its edge.
func TestLimits(t *testing.T) {
	ctx := context.Background()
	clk := &clock{now: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	h := openHub(t, Config{MaxStudents: 3, MaxRooms: 2, Now: clk.Now})

	t.Run("students per room", func(t *testing.T) {
		r, _, err := h.Create(ctx, Spec{Lesson: "x", Questions: handshakeQ})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for i := range 3 {
			id, _, err := h.Join(ctx, r.Code, "", "")
			if err != nil {
				t.Fatalf("student %d of 3: %v", i+1, err)
			}
			ids = append(ids, id)
		}
		if _, _, err := h.Join(ctx, r.Code, "", ""); !errors.Is(err, ErrRoomFull) {
			t.Fatalf("student 4 of 3: %v, want ErrRoomFull", err)
		}
		if _, _, err := h.Join(ctx, r.Code, ids[0], ""); err != nil {
			t.Fatalf("a student who joined reconnects to a full room: %v", err)
		}
	})
	t.Run("rooms per server", func(t *testing.T) {
		if _, _, err := h.Create(ctx, Spec{Lesson: "x"}); err != nil {
			t.Fatalf("room 2 of 2: %v", err)
		}
		if _, _, err := h.Create(ctx, Spec{Lesson: "x"}); !errors.Is(err, ErrTooManyRooms) {
			t.Fatalf("room 3 of 2: %v, want ErrTooManyRooms", err)
		}
	})
	t.Run("rooms expire", func(t *testing.T) {
		clk.add(RoomLifetime - time.Second)
		h2 := openHub(t, Config{MaxRooms: 10, Now: clk.Now})
		r, _, err := h2.Create(ctx, Spec{Lesson: "x"})
		if err != nil {
			t.Fatal(err)
		}
		clk.add(RoomLifetime - time.Nanosecond)
		if _, _, err := h2.Get(ctx, r.Code); err != nil {
			t.Fatalf("a room a nanosecond before its end: %v", err)
		}
		clk.add(time.Nanosecond)
		if _, _, err := h2.Get(ctx, r.Code); !errors.Is(err, ErrExpired) {
			t.Fatalf("a room at its end: %v, want ErrExpired", err)
		}
		// Expired rooms no longer count against the limit.
		if _, _, err := h.Create(ctx, Spec{Lesson: "x"}); err != nil {
			t.Fatalf("a room once the others expired: %v", err)
		}
	})
	t.Run("answers per student per question", func(t *testing.T) {
		h3 := openHub(t, Config{Now: clk.Now})
		r, key, _ := h3.Create(ctx, Spec{Lesson: "x", Questions: handshakeQ})
		id, _, _ := h3.Join(ctx, r.Code, "", "")
		h3.Command(ctx, r.Code, key, Command{Type: "ask", Question: 0})
		for i := range MaxAnswersPerQuestion {
			if err := h3.Answer(ctx, r.Code, id, 0, 1, "LISTEN"); err != nil {
				t.Fatalf("answer %d of %d: %v", i+1, MaxAnswersPerQuestion, err)
			}
		}
		if err := h3.Answer(ctx, r.Code, id, 0, 1, "SYN-SENT"); !errors.Is(err, ErrAnswered) {
			t.Fatalf("answer %d: %v, want ErrAnswered", MaxAnswersPerQuestion+1, err)
		}
		for round := 2; round <= MaxRounds; round++ {
			if _, err := h3.Command(ctx, r.Code, key, Command{Type: "revote"}); err != nil {
				t.Fatalf("round %d of %d: %v", round, MaxRounds, err)
			}
		}
		if _, err := h3.Command(ctx, r.Code, key, Command{Type: "revote"}); !errors.Is(err, ErrTooManyRounds) {
			t.Fatalf("round %d: %v, want ErrTooManyRounds", MaxRounds+1, err)
		}
	})
	t.Run("message rate", func(t *testing.T) {
		var b bucket
		now := time.Unix(1000, 0)
		for i := range MessageBurst {
			if !b.allow(now) {
				t.Fatalf("message %d of a burst of %d refused", i+1, MessageBurst)
			}
		}
		if b.allow(now) {
			t.Fatalf("message %d at once allowed", MessageBurst+1)
		}
		if !b.allow(now.Add(time.Second / MessageRate)) {
			t.Fatal("a message 1/MessageRate later refused")
		}
		if b.allow(now.Add(time.Second / MessageRate)) {
			t.Fatal("two messages in 1/MessageRate allowed")
		}
	})
}

func TestNormalizeCode(t *testing.T) {
	for in, want := range map[string]string{"abc234": "ABC234", " ab c234 ": "ABC234", "ABC23": "", "ABC2345": "", "ABCD01": "", "ÄBC234": ""} {
		if got := NormalizeCode(in); got != want {
			t.Errorf("NormalizeCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCleanNickname(t *testing.T) {
	long := strings.Repeat("é", MaxNickname+5)
	if got := CleanNickname(long); got != strings.Repeat("é", MaxNickname) {
		t.Errorf("CleanNickname(%d runes) kept %d runes, want %d", MaxNickname+5, len([]rune(got)), MaxNickname)
	}
	if got := CleanNickname(" a\x00b\nc "); got != "abc" {
		t.Errorf("control characters: %q", got)
	}
}
