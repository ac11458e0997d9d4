// Package lessons loads synack's lessons: Markdown files under lessons/ that name a
// scenario, the parameters a reader may change, and narration and questions in English
// and Chinese, each anchored to an event of the engine's trace ("the segment with flags
// SYN ACK", "the server enters SYN-RECEIVED") rather than to a step number. A question's
// answer is computed from the trace, so a wrong engine makes a question wrong instead of
// silently right. See README.md for the format.
package lessons

import (
	"bufio"
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"synack/engine"
	"synack/engine/tcp"
	"synack/lessons/stories"
)

//go:embed *.md
var files embed.FS

// Files returns the embedded lesson files (README.md is skipped by Load).
func Files() fs.FS { return files }

// Lesson is one loaded lesson.
type Lesson struct {
	ID       string
	File     string
	Order    int
	Title    engine.Text
	Summary  engine.Text
	Scenario string
	Spec     *engine.Spec // an inline scenario, when the header gives spec: instead of scenario:
	Related  []string
	// StatesLarge asks the player to draw the state figure large, below the diagram
	// (front matter "states: large"), for a lesson about the state machine itself.
	StatesLarge bool
	Profiles    []string // profiles a reader may pick
	MinRTT      time.Duration
	MaxRTT      time.Duration
	Steps       []*Step
	Questions   []*Question
	// Sources are the RFC sections and Linux sources the lesson relies on, shown at its end.
	Sources engine.Text

	stories *stories.Catalogue // where Scenario is looked up and run
}

// Step is a narration step.
type Step struct {
	Line   int
	Anchor Anchor
	Text   engine.Text
}

// Question is a predict-then-reveal question: asked before its anchor's event is shown.
type Question struct {
	Line    int
	Anchor  Anchor
	Ask     engine.Text
	Choices []string
	Answer  string // the expression that computes the answer from the trace
	Explain engine.Text
	// ExplainIn holds explanations for one profile (explain.rfc.en:, explain.rfc.zh:),
	// used instead of Explain when the reader runs that profile.
	ExplainIn map[string]engine.Text
	// Profile, when set, is the only profile the question is asked in (profile: linux):
	// a question about Linux's own numbers is not asked of the RFC's run.
	Profile string
}

// ChoicesOn returns the choices with their placeholders ({seq}, {ack}, ...) filled from
// the anchored event at of the run.
func (q *Question) ChoicesOn(tr *engine.Trace, at int) []string {
	out := make([]string, len(q.Choices))
	for i, c := range q.Choices {
		out[i] = Fill(c, tr, at)
	}
	return out
}

// AskedIn reports whether the question is asked of a run with this profile.
func (q *Question) AskedIn(profile string) bool { return q.Profile == "" || q.Profile == profile }

// ExplainFor returns the explanation written for this profile.
func (q *Question) ExplainFor(profile string) engine.Text {
	if t, ok := q.ExplainIn[profile]; ok {
		return t
	}
	return q.Explain
}

// Catalogue is every lesson, in order.
type Catalogue struct {
	lessons []*Lesson
	byID    map[string]*Lesson
}

// All returns the lessons in catalogue order.
func (c *Catalogue) All() []*Lesson { return c.lessons }

// Get returns the lesson with the given id.
func (c *Catalogue) Get(id string) (*Lesson, bool) {
	l, ok := c.byID[id]
	return l, ok
}

// Error is a mistake in a lesson file.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Load reads and checks every *.md file of fsys except README.md: the scenario exists,
// each anchor resolves to exactly one event of the default run, every step and question
// has both languages, and each question's computed answer is one of its choices. A
// lesson's scenario: names a story of st.
func Load(fsys fs.FS, st *stories.Catalogue) (*Catalogue, error) {
	names, err := fs.Glob(fsys, "*.md")
	if err != nil {
		return nil, err
	}
	c := &Catalogue{byID: map[string]*Lesson{}}
	for _, name := range names {
		if name == "README.md" {
			continue
		}
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		l, err := Parse(path.Base(name), src, st)
		if err != nil {
			return nil, err
		}
		if err := l.Check(); err != nil {
			return nil, err
		}
		if l.Sources.EN == "" {
			return nil, &Error{File: name, Line: 1, Msg: "a lesson ends with a ## sources block (en: and zh:) naming the RFC sections and Linux sources it relies on"}
		}
		if c.byID[l.ID] != nil {
			return nil, &Error{File: name, Line: 1, Msg: fmt.Sprintf("id %q is used by %s too", l.ID, c.byID[l.ID].File)}
		}
		c.byID[l.ID] = l
		c.lessons = append(c.lessons, l)
	}
	sort.SliceStable(c.lessons, func(i, j int) bool { return c.lessons[i].Order < c.lessons[j].Order })
	for _, l := range c.lessons {
		for _, r := range l.Related {
			if c.byID[r] != nil {
				continue
			}
			if _, ok := st.Lookup(r); !ok {
				return nil, &Error{File: l.File, Line: 1, Msg: fmt.Sprintf("related lesson or story %q does not exist", r)}
			}
		}
	}
	return c, nil
}

// Parse reads one lesson file: a header between "---" lines, then blocks that start with
// "## step @anchor" or "## question @anchor", each holding "en:", "zh:" and (for
// questions) "ask.en:", "ask.zh:", "choices:", "answer:", "explain.en:", "explain.zh:".
// A scenario: header names a story of st.
func Parse(file string, src []byte, st *stories.Catalogue) (*Lesson, error) {
	l := &Lesson{File: file, stories: st, Profiles: tcp.ProfileNames, MinRTT: engine.MinRTT, MaxRTT: engine.MaxRTT}
	errf := func(line int, format string, args ...any) error {
		return &Error{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	state := "start"
	var cur map[string]string
	var curKind string
	var curLine int
	var curAnchor Anchor
	var lastKey string
	flush := func() error {
		if cur == nil {
			return nil
		}
		switch curKind {
		case "sources":
			if l.Sources.EN != "" {
				return errf(curLine, "a lesson has one ## sources block")
			}
			l.Sources = engine.Text{EN: cur["en"], ZH: cur["zh"]}
			if l.Sources.EN == "" || l.Sources.ZH == "" {
				return errf(curLine, "## sources needs both en: and zh:")
			}
		case "step":
			st := &Step{Line: curLine, Anchor: curAnchor, Text: engine.Text{EN: cur["en"], ZH: cur["zh"]}}
			if st.Text.EN == "" || st.Text.ZH == "" {
				return errf(curLine, "a step needs both en: and zh: text")
			}
			l.Steps = append(l.Steps, st)
		case "question":
			q := &Question{Line: curLine, Anchor: curAnchor, Ask: engine.Text{EN: cur["ask.en"], ZH: cur["ask.zh"]},
				Answer: cur["answer"], Explain: engine.Text{EN: cur["explain.en"], ZH: cur["explain.zh"]}}
			for _, name := range tcp.ProfileNames {
				en, zh := cur["explain."+name+".en"], cur["explain."+name+".zh"]
				if en == "" && zh == "" {
					continue
				}
				if en == "" || zh == "" {
					return errf(curLine, "explain.%s.en: and explain.%s.zh: go together", name, name)
				}
				if q.ExplainIn == nil {
					q.ExplainIn = map[string]engine.Text{}
				}
				q.ExplainIn[name] = engine.Text{EN: en, ZH: zh}
			}
			if pr := cur["profile"]; pr != "" {
				if _, err := tcp.ProfileByName(pr); err != nil {
					return errf(curLine, "profile: %v", err)
				}
				q.Profile = pr
			}
			for _, c := range strings.Split(cur["choices"], "|") {
				if c = strings.TrimSpace(c); c != "" {
					q.Choices = append(q.Choices, c)
				}
			}
			switch {
			case q.Ask.EN == "" || q.Ask.ZH == "":
				return errf(curLine, "a question needs both ask.en: and ask.zh:")
			case q.Explain.EN == "" || q.Explain.ZH == "":
				return errf(curLine, "a question needs both explain.en: and explain.zh:")
			case len(q.Choices) < 2:
				return errf(curLine, "a question needs at least two choices: a | b")
			case q.Answer == "":
				return errf(curLine, "a question needs answer: (how to compute it from the trace)")
			}
			l.Questions = append(l.Questions, q)
		}
		cur = nil
		return nil
	}
	for sc.Scan() {
		line++
		text := sc.Text()
		trimmed := strings.TrimSpace(text)
		switch state {
		case "start":
			if trimmed == "" {
				continue
			}
			if trimmed != "---" {
				return nil, errf(line, "a lesson starts with a --- header")
			}
			state = "header"
			continue
		case "header":
			if trimmed == "---" {
				state = "body"
				if err := l.checkHeader(errf, line); err != nil {
					return nil, err
				}
				continue
			}
			if trimmed == "" || strings.HasPrefix(trimmed, "#") {
				continue
			}
			k, v, ok := strings.Cut(trimmed, ":")
			if !ok {
				return nil, errf(line, "header lines look like key: value")
			}
			if err := l.setHeader(strings.TrimSpace(k), strings.TrimSpace(v)); err != nil {
				return nil, errf(line, "%v", err)
			}
			continue
		}
		if strings.HasPrefix(trimmed, "## ") {
			if err := flush(); err != nil {
				return nil, err
			}
			head := strings.TrimSpace(trimmed[3:])
			kind, rest, _ := strings.Cut(head, " ")
			if kind != "step" && kind != "question" && kind != "sources" {
				return nil, errf(line, "a block starts with ## step @anchor, ## question @anchor or ## sources, not %q", kind)
			}
			var a Anchor
			if kind == "sources" {
				if strings.TrimSpace(rest) != "" {
					return nil, errf(line, "## sources takes no anchor")
				}
			} else if pa, err := ParseAnchor(strings.TrimSpace(rest)); err != nil {
				return nil, errf(line, "%v", err)
			} else {
				a = pa
			}
			cur, curKind, curLine, curAnchor, lastKey = map[string]string{}, kind, line, a, ""
			continue
		}
		if cur == nil {
			if trimmed == "" || strings.HasPrefix(trimmed, "<!--") || strings.HasPrefix(trimmed, "#") {
				continue
			}
			return nil, errf(line, "text outside a ## step or ## question block")
		}
		if trimmed == "" {
			continue
		}
		if k, v, ok := strings.Cut(trimmed, ":"); ok && knownKeys[strings.TrimSpace(k)] {
			k = strings.TrimSpace(k)
			if _, dup := cur[k]; dup {
				return nil, errf(line, "%s: given twice in this block", k)
			}
			cur[k], lastKey = strings.TrimSpace(v), k
			continue
		}
		if lastKey == "" {
			return nil, errf(line, "expected en:, zh:, ask.en:, ask.zh:, choices:, answer:, explain.en: or explain.zh:")
		}
		cur[lastKey] += " " + trimmed // a continuation line
	}
	if state != "body" {
		return nil, errf(line, "the --- header is not closed")
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if len(l.Steps) == 0 {
		return nil, errf(line, "a lesson needs at least one ## step")
	}
	for _, q := range l.Questions {
		if q.Profile != "" && !slices.Contains(l.Profiles, q.Profile) {
			return nil, errf(q.Line, "profile: %s is not one of the lesson's profiles %v", q.Profile, l.Profiles)
		}
	}
	return l, nil
}

var knownKeys = func() map[string]bool {
	m := map[string]bool{"en": true, "zh": true, "ask.en": true, "ask.zh": true, "choices": true,
		"answer": true, "explain.en": true, "explain.zh": true, "profile": true}
	for _, p := range tcp.ProfileNames {
		m["explain."+p+".en"], m["explain."+p+".zh"] = true, true
	}
	return m
}()

func (l *Lesson) setHeader(k, v string) error {
	switch k {
	case "id":
		l.ID = v
	case "order":
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("order %q is not a number", v)
		}
		l.Order = n
	case "scenario":
		l.Scenario = v
	case "spec":
		var sp engine.Spec
		dec := json.NewDecoder(strings.NewReader(v))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&sp); err != nil {
			return fmt.Errorf("spec: %v", err)
		}
		if err := sp.Validate(); err != nil {
			return fmt.Errorf("spec: %v", err)
		}
		l.Spec = &sp
	case "title.en":
		l.Title.EN = v
	case "title.zh":
		l.Title.ZH = v
	case "summary.en":
		l.Summary.EN = v
	case "summary.zh":
		l.Summary.ZH = v
	case "related":
		for _, r := range strings.Split(v, ",") {
			if r = strings.TrimSpace(r); r != "" {
				l.Related = append(l.Related, r)
			}
		}
	case "states":
		if v != "large" {
			return fmt.Errorf("states: %q is not a size (the one size is large)", v)
		}
		l.StatesLarge = true
	case "profiles":
		l.Profiles = nil
		for _, p := range strings.Split(v, ",") {
			p = strings.TrimSpace(p)
			if _, err := tcp.ProfileByName(p); err != nil {
				return err
			}
			l.Profiles = append(l.Profiles, p)
		}
	case "rtt":
		a, b, ok := strings.Cut(v, "..")
		lo, err1 := time.ParseDuration(strings.TrimSpace(a))
		hi, err2 := time.ParseDuration(strings.TrimSpace(b))
		if !ok || err1 != nil || err2 != nil || lo < engine.MinRTT || hi > engine.MaxRTT || lo > hi {
			return fmt.Errorf("rtt %q: want a range such as 10ms..500ms within %s..%s", v, engine.MinRTT, engine.MaxRTT)
		}
		l.MinRTT, l.MaxRTT = lo, hi
	default:
		return fmt.Errorf("unknown header key %q", k)
	}
	return nil
}

func (l *Lesson) checkHeader(errf func(int, string, ...any) error, line int) error {
	switch {
	case l.ID == "":
		return errf(line, "the header needs id:")
	case l.Title.EN == "" || l.Title.ZH == "":
		return errf(line, "the header needs title.en: and title.zh:")
	case l.Summary.EN == "" || l.Summary.ZH == "":
		return errf(line, "the header needs summary.en: and summary.zh:")
	case l.Scenario == "" && l.Spec == nil:
		return errf(line, "the header needs scenario: (an engine scenario id) or spec: (an inline scenario)")
	case l.Scenario != "" && l.Spec != nil:
		return errf(line, "give scenario: or spec:, not both")
	case l.Spec != nil:
		return nil
	}
	if _, ok := l.stories.Lookup(l.Scenario); !ok {
		return errf(line, "unknown scenario %q (see 'synack scenarios')", l.Scenario)
	}
	return nil
}

// Run runs the lesson's scenario (or its inline spec).
func (l *Lesson) Run(p engine.Params) (*engine.Trace, error) {
	if l.Spec != nil {
		return engine.RunSpec(l.ID, *l.Spec, p)
	}
	return l.stories.Run(l.Scenario, p)
}

// Allows reports whether a reader may run the lesson with these parameters, and if not,
// which parameter is outside the lesson's ranges.
func (l *Lesson) Allows(p engine.Params) (ok bool, param string) {
	if p.RTT < l.MinRTT || p.RTT > l.MaxRTT {
		return false, "rtt"
	}
	for _, name := range l.Profiles {
		if name == p.Profile {
			return true, ""
		}
	}
	return false, "profile"
}

// Check runs the lesson with default parameters in each of its profiles and verifies
// every anchor and every answer: a step's anchor names exactly one event of the first
// profile's run, a question's in each run it is asked in, and the computed answer is
// exactly one of the question's choices.
func (l *Lesson) Check() error {
	for k, profile := range l.Profiles {
		p := engine.DefaultParams()
		p.Profile = profile
		p.RTT = min(max(p.RTT, l.MinRTT), l.MaxRTT)
		tr, err := l.Run(p)
		if err != nil {
			return &Error{File: l.File, Line: 1, Msg: err.Error()}
		}
		if k == 0 {
			for _, st := range l.Steps {
				if _, err := st.Anchor.Resolve(tr); err != nil {
					return &Error{File: l.File, Line: st.Line, Msg: err.Error()}
				}
			}
		}
		for _, q := range l.Questions {
			if !q.AskedIn(profile) {
				continue
			}
			i, err := q.Anchor.Resolve(tr)
			if err != nil {
				return &Error{File: l.File, Line: q.Line, Msg: fmt.Sprintf("%s profile: %v", profile, err)}
			}
			ans, err := Evaluate(q.Answer, tr, i)
			if err != nil {
				return &Error{File: l.File, Line: q.Line, Msg: fmt.Sprintf("%s profile: %v", profile, err)}
			}
			if choices := q.ChoicesOn(tr, i); count(choices, ans) != 1 {
				return &Error{File: l.File, Line: q.Line, Msg: fmt.Sprintf("%s profile: the trace's answer is %q, which is not exactly one of the choices %q", profile, ans, choices)}
			}
		}
	}
	return nil
}

func count(choices []string, ans string) int {
	n := 0
	for _, c := range choices {
		if c == ans {
			n++
		}
	}
	return n
}
