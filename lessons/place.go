package lessons

import (
	"fmt"
	"strings"

	"synack/engine"
	"synack/engine/catalog"
	"synack/engine/diagram"
	"synack/engine/tcp"
)

// Placement is a lesson laid on one run and its diagram: each narration step and each
// question at the layout step where it belongs, with the run's own answers.
type Placement struct {
	Steps     []PlacedStep
	Questions []PlacedQuestion
	Sources   engine.Text
	// Omitted says, for each step and question left out of this run, why: the event it
	// is about does not happen here, or a drop took away its premise, or it is asked only
	// in another profile.
	Omitted []Omission
}

// Omission is a step or question the run leaves out, with the reason the page gives.
type Omission struct {
	Kind  string // "step" or "question"
	Index int    // in Lesson.Steps or Lesson.Questions
	Why   engine.Text
}

// absent: the event a step or question is about does not happen in this run.
func absent(kind string, index int, tr *engine.Trace) Omission {
	why := catalog.F("omit.question.absent", index+1, profileName(tr.Meta.Profile))
	if kind == "step" {
		why = catalog.F("omit.step.absent", index+1, profileName(tr.Meta.Profile))
	}
	return Omission{Kind: kind, Index: index, Why: why}
}

// lost: the reader's drops took away the segment a step or question is about.
func lost(kind string, index int, r role) Omission {
	why := catalog.F("omit.question.lost", index+1, r.describe())
	if kind == "step" {
		why = catalog.F("omit.step.lost", index+1, r.describe())
	}
	return Omission{Kind: kind, Index: index, Why: why}
}

// PlacedStep is narration shown from layout step Step on.
type PlacedStep struct {
	Index int // in Lesson.Steps
	Step  int
	Event int // the trace event it is anchored to
	Text  engine.Text
}

// PlacedQuestion is a question placed on a run. The player shows the steps before Step,
// pauses and asks; nothing drawn by then gives the answer away: Step is the anchored
// event's step, moved earlier to the step that reveals the answer when that comes first.
type PlacedQuestion struct {
	Index   int // in Lesson.Questions
	Event   int // the trace event it is anchored to
	Step    int // asked once the steps before it are shown, before this one
	Anchor  int // the layout step of the anchored event
	Reveal  int // the layout step that gives the answer away
	Ask     engine.Text
	Choices []string
	Answer  string
	Explain engine.Text
}

// Place lays the lesson on a run of it with parameters p and the run's layout. A step
// or question whose event the parameters removed is left out, as is a question not
// asked in p's profile or whose answer no drawn event could keep hidden. When dropped
// or lost segments change an answer from what the same run without them gives, the
// question's choices gain the run's answer and the explanation says what happened,
// from the trace, instead of the lesson's text.
func (l *Lesson) Place(tr *engine.Trace, lay *diagram.Layout, p engine.Params) Placement {
	pl := Placement{Sources: l.Sources}
	var base *engine.Trace // the same run without the reader's drops and loss
	faults := len(p.Drop) > 0 || p.Loss > 0 || p.Jitter > 0
	if faults {
		bp := p
		bp.Drop, bp.Loss, bp.Jitter = nil, 0, 0
		if t, err := l.Run(bp); err == nil {
			base = t
		}
	}
	// resolve places an anchor on the reader's run: by its role in the run without the
	// reader's faults when there are some, so that a drop that shifts the segments does
	// not move narration or a question onto another segment.
	resolve := func(kind string, index int, a Anchor) int {
		if base == nil {
			at, err := a.resolveFirst(tr)
			if err != nil {
				pl.Omitted = append(pl.Omitted, absent(kind, index, tr))
				return -1
			}
			return at
		}
		at, gone, err := a.resolveRole(base, tr)
		switch {
		case gone != nil:
			pl.Omitted = append(pl.Omitted, lost(kind, index, *gone))
			return -1
		case err != nil:
			pl.Omitted = append(pl.Omitted, absent(kind, index, tr))
			return -1
		}
		return at
	}
	for i, st := range l.Steps {
		ev := resolve("step", i, st.Anchor)
		if ev < 0 {
			continue
		}
		at := stepOf(lay, ev)
		if at < 0 {
			continue
		}
		t := st.Text
		pl.Steps = append(pl.Steps, PlacedStep{Index: i, Step: at, Event: ev, Text: engine.Text{EN: Fill(t.EN, tr, ev), ZH: Fill(t.ZH, tr, ev)}})
	}
	for i, q := range l.Questions {
		if !q.AskedIn(tr.Meta.Profile) {
			pl.Omitted = append(pl.Omitted, Omission{Kind: "question", Index: i,
				Why: catalog.F("omit.profile", i+1, profileName(q.Profile), profileName(tr.Meta.Profile))})
			continue
		}
		at := resolve("question", i, q.Anchor)
		if at < 0 {
			continue
		}
		res, err := Compute(q.Answer, tr, at)
		anchor, reveal := -1, -1
		if err == nil && res.Reveal >= 0 {
			anchor, reveal = stepOf(lay, at), stepOf(lay, res.Reveal)
		}
		if anchor < 0 || reveal < 0 {
			pl.Omitted = append(pl.Omitted, Omission{Kind: "question", Index: i, Why: catalog.F("omit.no-answer", i+1)})
			continue
		}
		pq := PlacedQuestion{Index: i, Event: at, Step: min(anchor, reveal), Anchor: anchor, Reveal: reveal,
			Ask:     engine.Text{EN: Fill(q.Ask.EN, tr, at), ZH: Fill(q.Ask.ZH, tr, at)},
			Choices: q.ChoicesOn(tr, at), Answer: res.Answer}
		own := res.Answer
		if faults {
			own = ""
			if base != nil {
				if bi, err := q.Anchor.resolveFirst(base); err == nil {
					if br, err := Compute(q.Answer, base, bi); err == nil {
						own = br.Answer
					}
				}
			}
		}
		run := runText(tr)
		if own == res.Answer && count(pq.Choices, res.Answer) == 1 {
			ex := q.ExplainFor(tr.Meta.Profile)
			text := engine.Text{EN: fillAnswer(Fill(ex.EN, tr, at), res.Answer, tr), ZH: fillAnswer(Fill(ex.ZH, tr, at), res.Answer, tr)}
			pq.Explain = catalog.F("run.explain", text, run, res.Evidence)
		} else {
			if count(pq.Choices, res.Answer) == 0 {
				pq.Choices = append(pq.Choices, res.Answer)
			}
			pq.Explain = catalog.F("run.evidence", run, res.Evidence)
			if faults {
				c := catalog.T("run.changed")
				pq.Explain.EN += c.EN
				pq.Explain.ZH += c.ZH
			}
		}
		pl.Questions = append(pl.Questions, pq)
	}
	return pl
}

// runText opens the run's evidence: "In this run (Linux profile, RTT 100 ms): ".
func runText(tr *engine.Trace) engine.Text {
	var drops []engine.Text
	for _, e := range tr.Scan() {
		if e.Kind == tcp.EventSegment && e.Segment.Fate == tcp.Dropped {
			id := fmt.Sprintf("#%d", e.Segment.ID)
			drops = append(drops, engine.Text{EN: id, ZH: id})
		}
	}
	lost := engine.Text{}
	if len(drops) > 0 {
		lost = catalog.F("run.lost", catalog.Join("sep.enum", drops))
	}
	return catalog.F("run.intro", profileName(tr.Meta.Profile), secs(tr.Meta.RTT), lost)
}

func profileName(p string) string {
	if p == "linux" {
		return "Linux"
	}
	return strings.ToUpper(p)
}

// fillAnswer fills an explanation's {answer} and {profile} with the run's.
func fillAnswer(text, answer string, tr *engine.Trace) string {
	return strings.NewReplacer("{answer}", answer, "{profile}", profileName(tr.Meta.Profile)).Replace(text)
}

// stepOf returns the layout step that shows trace event ev (or the first after it), -1
// when none does.
func stepOf(l *diagram.Layout, ev int) int {
	for _, st := range l.Steps {
		if st.Event >= ev {
			return st.Index
		}
	}
	return -1
}
