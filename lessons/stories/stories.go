// Package stories is synack's story catalogue: the ordered list of stories the product
// tells (an id, a title and a summary in English and Chinese, and how to run it), as one
// explicit value. The TCP stories are the engine's (engine.Story values); the HTTP, TLS
// and QUIC stories carry recorded handshakes over the engine (engine/handshakes).
//
// It sits above engine and engine/handshakes in the import graph, and nothing under
// engine/ may import it: the engine simulates, it does not know which stories the product
// tells or what they are called. It lives under lessons/ because it is the product's
// content, like the lessons that narrate its stories, and the house layout keeps the
// engine's folder for the simulation itself. Nothing is registered at init time and
// nothing is imported for its side effects: a program gets the catalogue by calling
// Default, and a test may build a smaller one with New.
package stories

import (
	"errors"
	"fmt"

	"synack/engine"
	"synack/engine/catalog"
	"synack/engine/handshakes"
)

// Story is one story of the catalogue.
type Story struct {
	ID      string      `json:"id"`
	Title   engine.Text `json:"title"`
	Summary engine.Text `json:"summary"`
	// Run runs the story with the given parameters; id names the trace's scenario.
	Run func(id string, p engine.Params) (*engine.Trace, error) `json:"-"`
}

// Catalogue is an ordered list of stories with unique ids. The zero value is empty.
type Catalogue struct {
	stories []Story
}

// ErrUnknownScenario is returned by Run for an id that is not in the catalogue.
var ErrUnknownScenario = errors.New("unknown scenario")

// New returns a catalogue of the given stories, in the order given. Every story needs an
// id that no other story has, a title and summary in both languages, and a Run.
func New(stories ...Story) (*Catalogue, error) {
	seen := make(map[string]bool, len(stories))
	for i, st := range stories {
		switch {
		case st.ID == "":
			return nil, fmt.Errorf("story %d has no id", i+1)
		case seen[st.ID]:
			return nil, fmt.Errorf("story %q is listed twice", st.ID)
		case st.Title.EN == "" || st.Title.ZH == "" || st.Summary.EN == "" || st.Summary.ZH == "":
			return nil, fmt.Errorf("story %q needs a title and a summary in English and Chinese", st.ID)
		case st.Run == nil:
			return nil, fmt.Errorf("story %q has no Run", st.ID)
		}
		seen[st.ID] = true
	}
	return &Catalogue{stories: append([]Story(nil), stories...)}, nil
}

// Stories returns the stories in the order they are told. The slice is a copy.
func (c *Catalogue) Stories() []Story {
	if c == nil {
		return nil
	}
	return append([]Story(nil), c.stories...)
}

// Lookup returns the story with the given id.
func (c *Catalogue) Lookup(id string) (Story, bool) {
	if c != nil {
		for _, st := range c.stories {
			if st.ID == id {
				return st, true
			}
		}
	}
	return Story{}, false
}

// Run runs the story with the given id and returns its trace.
func (c *Catalogue) Run(id string, p engine.Params) (*engine.Trace, error) {
	st, ok := c.Lookup(id)
	if !ok {
		return nil, fmt.Errorf("%w %q (see 'synack scenarios')", ErrUnknownScenario, id)
	}
	return st.Run(st.ID, p) // each story validates p as it runs it
}

// Default returns synack's catalogue: the TCP stories of the engine, then the HTTP, TLS
// and QUIC stories carried over it, in the order the index page lists them.
func Default() *Catalogue {
	stories := TCP()
	for _, v := range handshakes.Variants {
		stories = append(stories, Story{ID: v.ID, Title: v.Title, Summary: v.Summary, Run: handshakes.RunStory})
	}
	c, err := New(stories...)
	if err != nil {
		panic("stories: " + err.Error()) // a test checks Default; this is a programming error
	}
	return c
}

// TCP returns the stories the engine tells on its own, without recorded handshakes: the
// stories engine/testdata/golden holds a reviewed trace of.
func TCP() []Story {
	return []Story{
		{ID: "three-way-handshake",
			Title:   catalog.T("story.three-way-handshake.title"),
			Summary: catalog.T("story.three-way-handshake.summary"),
			Run:     engine.ThreeWayHandshake.Run},
		{ID: "data-on-third-ack",
			Title:   catalog.T("story.data-on-third-ack.title"),
			Summary: catalog.T("story.data-on-third-ack.summary"),
			Run:     engine.DataOnThirdACK.Run},
		{ID: "tcp-fast-open",
			Title:   catalog.T("story.tcp-fast-open.title"),
			Summary: catalog.T("story.tcp-fast-open.summary"),
			Run:     engine.TCPFastOpen.Run},
		{ID: "syn-ack-lost",
			Title:   catalog.T("story.syn-ack-lost.title"),
			Summary: catalog.T("story.syn-ack-lost.summary"),
			Run:     engine.SYNACKLost.Run},
		{ID: "old-duplicate-syn",
			Title:   catalog.T("story.old-duplicate-syn.title"),
			Summary: catalog.T("story.old-duplicate-syn.summary"),
			Run:     engine.OldDuplicateSYN.Run},
		{ID: "simultaneous-open",
			Title:   catalog.T("story.simultaneous-open.title"),
			Summary: catalog.T("story.simultaneous-open.summary"),
			Run:     engine.SimultaneousOpen.Run},
		{ID: "four-way-close",
			Title:   catalog.T("story.four-way-close.title"),
			Summary: catalog.T("story.four-way-close.summary"),
			Run:     engine.FourWayClose.Run},
		{ID: "three-way-close",
			Title:   catalog.T("story.three-way-close.title"),
			Summary: catalog.T("story.three-way-close.summary"),
			Run:     engine.ThreeWayClose.Run},
		{ID: "half-close",
			Title:   catalog.T("story.half-close.title"),
			Summary: catalog.T("story.half-close.summary"),
			Run:     engine.HalfClose.Run},
		{ID: "simultaneous-close",
			Title:   catalog.T("story.simultaneous-close.title"),
			Summary: catalog.T("story.simultaneous-close.summary"),
			Run:     engine.SimultaneousClose.Run},
		{ID: "lost-final-ack",
			Title:   catalog.T("story.lost-final-ack.title"),
			Summary: catalog.T("story.lost-final-ack.summary"),
			Run:     engine.LostFinalACK.Run},
		{ID: "orphan-fin-wait-2",
			Title:   catalog.T("story.orphan-fin-wait-2.title"),
			Summary: catalog.T("story.orphan-fin-wait-2.summary"),
			Run:     engine.OrphanFinWait2.Run},
		{ID: "syn-to-closed-port",
			Title:   catalog.T("story.syn-to-closed-port.title"),
			Summary: catalog.T("story.syn-to-closed-port.summary"),
			Run:     engine.SYNToClosedPort.Run},
		{ID: "connect-timeout",
			Title:   catalog.T("story.connect-timeout.title"),
			Summary: catalog.T("story.connect-timeout.summary"),
			Run:     engine.ConnectTimeout.Run},
		{ID: "abort-rst",
			Title:   catalog.T("story.abort-rst.title"),
			Summary: catalog.T("story.abort-rst.summary"),
			Run:     engine.AbortRST.Run},
		{ID: "syn-flood",
			Title:   catalog.T("story.syn-flood.title"),
			Summary: catalog.T("story.syn-flood.summary"),
			Run:     engine.SYNFlood.Run},
		{ID: "syn-cookies",
			Title:   catalog.T("story.syn-cookies.title"),
			Summary: catalog.T("story.syn-cookies.summary"),
			Run:     engine.SYNCookies.Run},
		{ID: "bulk-transfer",
			Title:   catalog.T("story.bulk-transfer.title"),
			Summary: catalog.T("story.bulk-transfer.summary"),
			Run:     engine.BulkTransfer.Run},
		{ID: "sack-recovery",
			Title:   catalog.T("story.sack-recovery.title"),
			Summary: catalog.T("story.sack-recovery.summary"),
			Run:     engine.SACKRecovery.Run},
		{ID: "tail-loss-probe",
			Title:   catalog.T("story.tail-loss-probe.title"),
			Summary: catalog.T("story.tail-loss-probe.summary"),
			Run:     engine.TailLossProbe.Run},
		{ID: "rto-backoff",
			Title:   catalog.T("story.rto-backoff.title"),
			Summary: catalog.T("story.rto-backoff.summary"),
			Run:     engine.RTOBackoff.Run},
		{ID: "zero-window",
			Title:   catalog.T("story.zero-window.title"),
			Summary: catalog.T("story.zero-window.summary"),
			Run:     engine.ZeroWindow.Run},
		{ID: "nagle-delayed-ack",
			Title:   catalog.T("story.nagle-delayed-ack.title"),
			Summary: catalog.T("story.nagle-delayed-ack.summary"),
			Run:     engine.NagleDelayedACK.Run},
	}
}
