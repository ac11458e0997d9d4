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
	ready chan struct{} // closed once sub and watch are set, or err
	err   error

	mu       sync.Mutex
	conns    map[*conn]struct{}
	rev      uint64 // the bucket revision of the newest state seen
	students int    // the newest count of students heard of
	state    []byte
	tallyQ   int // question and round the tally counts
	tallyR   int
	tally    map[string]int // student → choice
	choices  int
	// early keeps answers to a question or round this replica has not seen asked yet,
	// by student: an answer travels on the room's subject and the question in the
	// bucket, two paths, and under load the answer can win. Each is counted once the
	// room's state gets there. At most maxEarly (a room's MaxStudents) are kept.
	early    map[string]voteMsg
	maxEarly int
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

// attach registers a socket with its room on this replica; the room's first socket
// here subscribes to the room's subject and watches its state. That takes a round trip
// to the nats-server, made without holding the hub's lock (every teacher's command on
// this replica takes it); the room's other sockets wait for it.
func (h *Hub) attach(code string, c *conn) (*local, error) {
	for {
		h.mu.Lock()
		l := h.rooms[code]
		if l == nil {
			l = &local{code: code, fan: h.fan, conns: map[*conn]struct{}{}, tallyQ: -1, ready: make(chan struct{}), maxEarly: h.cfg.MaxStudents}
			h.rooms[code] = l
			h.mu.Unlock()
			err := h.listen(l)
			h.mu.Lock()
			l.err = err
			close(l.ready)
			if err != nil {
				delete(h.rooms, code)
				h.mu.Unlock()
				return nil, err
			}
		} else {
			select {
			case <-l.ready:
			default:
				h.mu.Unlock()
				<-l.ready
				if l.err != nil {
					return nil, l.err
				}
				continue // the room may have gone meanwhile: look again
			}
		}
		// Added under the hub's lock, so that the last socket leaving (detach) and
		// this one arriving cannot cross.
		l.mu.Lock()
		l.conns[c] = struct{}{}
		l.mu.Unlock()
		h.mu.Unlock()
		return l, nil
	}
}

// listen subscribes to a room's subject and watches its state in the bucket.
func (h *Hub) listen(l *local) error {
	sub, err := h.nc.Subscribe(subject+"."+l.code+".*", l.receive)
	if err != nil {
		return err
	}
	// Pending limits high enough for a burst of answers from a full room.
	sub.SetPendingLimits(1<<16, 64<<20)
	// The room's state comes from the bucket itself: the nats-server pushes each
	// stored change to every replica that watches the room, one hop after the store,
	// and in the bucket's order.
	w, err := h.kv.Watch(h.ctx, "room."+l.code, jetstream.UpdatesOnly(), jetstream.IgnoreDeletes())
	if err != nil {
		sub.Unsubscribe()
		return err
	}
	l.sub, l.watch = sub, w
	go l.follow(w)
	return nil
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
		l.voteLocked(v)
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
		for s, v := range l.early {
			if v.Question == l.tallyQ && v.Round == l.tallyR {
				l.tally[s] = v.Choice
				delete(l.early, s)
			}
		}
		l.sendTallyLocked()
	}
}

// voteLocked counts an answer heard on the room's subject, or keeps it until the
// question it answers reaches this replica.
func (l *local) voteLocked(v voteMsg) {
	if v.Question == l.tallyQ && v.Round == l.tallyR && l.tally != nil {
		l.tally[v.Student] = v.Choice
		l.sendTallyLocked()
		return
	}
	if l.early == nil {
		l.early = map[string]voteMsg{}
	}
	if _, ok := l.early[v.Student]; ok || len(l.early) < l.maxEarly {
		l.early[v.Student] = v
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
