package classroom

import (
	"encoding/json"
	"testing"

	"github.com/nats-io/nats.go"
)

// tallyOf reads the tally waiting in a teacher socket's outbox (the socket is marked
// as being written, so nothing leaves it).
func tallyOf(t *testing.T, c *conn) *Tally {
	t.Helper()
	b := c.out[slotTally]
	if b == nil {
		return nil
	}
	var tl Tally
	if err := json.Unmarshal(b, &tl); err != nil {
		t.Fatal(err)
	}
	return &tl
}

func voteFor(t *testing.T, l *local, q, round int, student string, choice int) {
	t.Helper()
	b, _ := json.Marshal(voteMsg{Question: q, Round: round, Student: student, Choice: choice})
	l.receive(&nats.Msg{Subject: subject + "." + l.code + ".vote", Data: b})
}

func askedRoom(q, round int) *Room {
	qs := make([]Question, q+1)
	for i := range qs {
		qs[i] = Question{Choices: []string{"LISTEN", "SYN-SENT", "SYN-RECEIVED"}}
	}
	return &Room{Code: "ROOM", Questions: qs, Question: q, Round: round, Phase: PhaseVoting}
}

// An answer and the question it answers reach a replica by two paths (the room's
// subject and the bucket's watch). An answer that arrives first is counted once the
// question arrives, not dropped: the teacher's live count must reach every answer.
func TestAnswerBeforeItsQuestionIsCounted(t *testing.T) {
	f := newFanout(WriteTimeout)
	defer f.close()
	teacher := fakeConn(f, newFakeSocket(false))
	teacher.teacher, teacher.queued = true, true
	l := &local{code: "ROOM", fan: f, conns: map[*conn]struct{}{teacher: {}}, tallyQ: -1, maxEarly: DefaultMaxStudents}

	l.setState(askedRoom(0, 1), 1)
	voteFor(t, l, 0, 1, "a", 0)
	// The teacher moves on to question 1; one answer to it outruns the new state.
	voteFor(t, l, 1, 1, "b", 2)
	if tl := tallyOf(t, teacher); tl == nil || tl.Question != 0 || tl.Answers != 1 {
		t.Fatalf("tally before question 1 arrives: %+v, want question 0 with 1 answer", tl)
	}
	l.setState(askedRoom(1, 1), 2)
	voteFor(t, l, 1, 1, "c", 1)
	tl := tallyOf(t, teacher)
	if tl == nil || tl.Question != 1 || tl.Round != 1 || tl.Answers != 2 || tl.Counts[1] != 1 || tl.Counts[2] != 1 {
		t.Fatalf("tally of question 1: %+v, want 2 answers (SYN-SENT 1, SYN-RECEIVED 1)", tl)
	}
	// A revote starts empty: the answers of round 1 are not carried over.
	l.setState(askedRoom(1, 2), 3)
	if tl := tallyOf(t, teacher); tl == nil || tl.Round != 2 || tl.Answers != 0 {
		t.Fatalf("tally of the revote: %+v, want round 2 with no answers", tl)
	}
}

// At most maxEarly answers wait for their question (one per student; a student's
// newer answer replaces the older).
func TestEarlyAnswersAreBounded(t *testing.T) {
	f := newFanout(WriteTimeout)
	defer f.close()
	teacher := fakeConn(f, newFakeSocket(false))
	teacher.teacher, teacher.queued = true, true
	l := &local{code: "ROOM", fan: f, conns: map[*conn]struct{}{teacher: {}}, tallyQ: -1, maxEarly: 2}
	voteFor(t, l, 0, 1, "a", 0)
	voteFor(t, l, 0, 1, "b", 0)
	voteFor(t, l, 0, 1, "b", 1) // b again: replaces, within the limit
	voteFor(t, l, 0, 1, "c", 2) // a third student: over the limit
	if len(l.early) != 2 {
		t.Fatalf("%d answers kept early, want the limit 2", len(l.early))
	}
	l.setState(askedRoom(0, 1), 1)
	tl := tallyOf(t, teacher)
	if tl == nil || tl.Answers != 2 || tl.Counts[0] != 1 || tl.Counts[1] != 1 || tl.Counts[2] != 0 {
		t.Fatalf("tally: %+v, want a's LISTEN and b's newer SYN-SENT", tl)
	}
	if len(l.early) != 0 {
		t.Fatalf("%d early answers left after their question arrived", len(l.early))
	}
}
