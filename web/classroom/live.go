package classroom

import (
	"context"
	"encoding/json"
	"strings"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// local is a room as seen by this replica: the sockets it serves and, for its
// teachers, the live count of answers. It follows the room's state in the bucket and
// its answers and joins on its NATS subject.
type local struct {
	code  string
	sub   *nats.Subscription   // answers and joins
	watch jetstream.KeyWatcher // the room's state in the bucket
	fan   *fanout

	mu       sync.Mutex
	conns    map[*conn]struct{}
	rev      uint64 // the bucket revision of the newest state seen
	students int    // the newest count of students heard of
	state    []byte
	tallyQ   int // question and round the tally counts
	tallyR   int
	tally    map[string]int // student → choice
	choices  int
}

// State is what every socket of a room is told after each change: the same bytes for
// every student.
type State struct {
	Type     string `json:"type"` // "state"
	Step     int    `json:"step"`
	Question int    `json:"question"`
	Phase    Phase  `json:"phase"`
	Round    int    `json:"round"`
	// Counts are shown once the teacher shows the histogram; Answer and Explain once
	// the teacher reveals the answer.
	Counts  []int             `json:"counts,omitempty"`
	Answer  string            `json:"answer,omitempty"`
	Explain map[string]string `json:"explain,omitempty"`
}

// StateOf is the room as its sockets see it.
func StateOf(r *Room) State {
	s := State{Type: "state", Step: r.Step, Question: r.Question, Phase: r.Phase, Round: r.Round}
	if r.Phase == PhaseHistogram || r.Phase == PhaseAnswer {
		s.Counts = r.Counts
	}
	if r.Phase == PhaseAnswer {
		q := r.Questions[r.Question]
		s.Answer, s.Explain = q.Answer, q.Explain
	}
	return s
}

// Tally is the teacher's live count of the open question's answers.
type Tally struct {
	Type     string `json:"type"` // "tally"
	Question int    `json:"question"`
	Round    int    `json:"round"`
	Answers  int    `json:"answers"`
	Counts   []int  `json:"counts"`
}

// attach registers a socket with its room on this replica, subscribing to the room's
// subject when it is the first.
func (h *Hub) attach(code string, c *conn) (*local, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	l := h.rooms[code]
	if l == nil {
		l = &local{code: code, fan: h.fan, conns: map[*conn]struct{}{}, tallyQ: -1}
		sub, err := h.nc.Subscribe(subject+"."+code+".*", l.receive)
		if err != nil {
			return nil, err
		}
		// Pending limits high enough for a burst of answers from a full room.
		sub.SetPendingLimits(1<<16, 64<<20)
		// The room's state comes from the bucket itself: the nats-server pushes each
		// stored change to every replica that watches the room, one hop after the
		// store, and in the bucket's order.
		w, err := h.kv.Watch(h.ctx, "room."+code, jetstream.UpdatesOnly(), jetstream.IgnoreDeletes())
		if err != nil {
			sub.Unsubscribe()
			return nil, err
		}
		l.sub, l.watch = sub, w
		go l.follow(w)
		h.rooms[code] = l
	}
	l.mu.Lock()
	l.conns[c] = struct{}{}
	l.mu.Unlock()
	return l, nil
}

// detach removes a socket; the last one out unsubscribes.
func (h *Hub) detach(l *local, c *conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	l.mu.Lock()
	delete(l.conns, c)
	empty := len(l.conns) == 0
	l.mu.Unlock()
	if empty && h.rooms[l.code] == l {
		l.sub.Unsubscribe()
		l.watch.Stop()
		delete(h.rooms, l.code)
		delete(h.known, l.code)
	}
}

// LocalRooms is how many rooms have sockets on this replica.
func (h *Hub) LocalRooms() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.rooms)
}

// follow tells the room's sockets here each change of the room stored in the bucket,
// until the watch stops.
func (l *local) follow(w jetstream.KeyWatcher) {
	for e := range w.Updates() {
		if e == nil {
			continue // the end of the stored values (none: only updates are asked for)
		}
		var r Room
		if json.Unmarshal(e.Value(), &r) != nil {
			continue
		}
		l.setState(&r, e.Revision())
	}
}

// receive handles a message on the room's subject, on the subscription's goroutine.
func (l *local) receive(m *nats.Msg) {
	switch m.Subject[strings.LastIndexByte(m.Subject, '.')+1:] {
	case "students":
		var n struct{ Students int }
		if json.Unmarshal(m.Data, &n) != nil {
			return
		}
		l.mu.Lock()
		if n.Students <= l.students {
			l.mu.Unlock()
			return // an older count (the count only grows)
		}
		l.students = n.Students
		pushAll(l.fan, l.conns, isTeacher, slotStudents, m.Data)
		l.mu.Unlock()
	case "vote":
		var v voteMsg
		if json.Unmarshal(m.Data, &v) != nil {
			return
		}
		l.mu.Lock()
		if v.Question == l.tallyQ && v.Round == l.tallyR && l.tally != nil {
			l.tally[v.Student] = v.Choice
			l.sendTallyLocked()
		}
		l.mu.Unlock()
	}
}

// setState sends the room's new state to every socket here: encoded once, the same
// bytes in every socket's outbox.
func (l *local) setState(r *Room, rev uint64) {
	b, _ := json.Marshal(StateOf(r))
	l.mu.Lock()
	defer l.mu.Unlock()
	if rev <= l.rev {
		return // older than what the sockets were told already
	}
	l.rev, l.state = rev, b
	pushAll(l.fan, l.conns, nil, slotState, b)
	if r.Question != l.tallyQ || r.Round != l.tallyR {
		// A new question or round: the tally starts empty (a teacher socket fills
		// it from the bucket when it needs one).
		l.tallyQ, l.tallyR, l.tally = r.Question, r.Round, map[string]int{}
		if r.Question >= 0 {
			l.choices = len(r.Questions[r.Question].Choices)
		}
		l.sendTallyLocked()
	}
}

// loadTally fills the tally from the bucket (a teacher joined, or rejoined, mid-vote).
func (h *Hub) loadTally(ctx context.Context, l *local, r *Room) {
	if r.Question < 0 {
		return
	}
	votes, err := h.tally(ctx, r.Code, r.Question, r.Round)
	if err != nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tallyQ != r.Question || l.tallyR != r.Round || l.tally == nil {
		l.tallyQ, l.tallyR, l.tally = r.Question, r.Round, map[string]int{}
		l.choices = len(r.Questions[r.Question].Choices)
	}
	for s, c := range votes {
		l.tally[s] = c
	}
	l.sendTallyLocked()
}

func (l *local) sendTallyLocked() {
	if l.tallyQ < 0 {
		return
	}
	t := Tally{Type: "tally", Question: l.tallyQ, Round: l.tallyR, Answers: len(l.tally), Counts: make([]int, l.choices)}
	for _, c := range l.tally {
		if c >= 0 && c < len(t.Counts) {
			t.Counts[c]++
		}
	}
	b, _ := json.Marshal(t)
	pushAll(l.fan, l.conns, isTeacher, slotTally, b)
}

func isTeacher(c *conn) bool { return c.teacher }
