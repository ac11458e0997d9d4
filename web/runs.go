package web

import (
	"container/list"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"

	"synack/engine"
	"synack/engine/diagram"
	"synack/engine/tcp"
	"synack/engine/wire"
)

// DefaultRunCacheEntries bounds how many finished runs (trace, layout and encoded steps)
// sessions share. A class opening one link runs the scenario once; every session of it
// streams from the same immutable run.
const DefaultRunCacheEntries = 64

// run is one finished simulation as sessions stream it. It is immutable once built,
// except for the steps' JSON, which is encoded once, when first asked for.
type run struct {
	tr         *engine.Trace
	layout     *diagram.Layout
	layoutJSON []byte

	mu    sync.Mutex
	steps [][]byte // encoded stepMsg, nil until first sent

	// raw, when not nil, gives a segment's bytes as they were captured (an imported
	// connection's), shown instead of the engine's encoding of it.
	raw func(segID int) []byte

	plotOnce  sync.Once
	tsg, cwnd *diagram.Plot // the data phase's figures, laid out when first asked for
}

func newRun(tr *engine.Trace, o diagram.Options) *run {
	l := diagram.Build(tr, o)
	b, _ := json.Marshal(l)
	return &run{tr: tr, layout: l, layoutJSON: b, steps: make([][]byte, len(l.Steps))}
}

// stepJSON is step i as sent in a "steps" message.
func (r *run) stepJSON(i int) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	if b := r.steps[i]; b != nil {
		return b
	}
	st := r.layout.Steps[i]
	e := r.tr.Event(st.Event)
	m := stepMsg{Index: i, Event: e.AppendJSON(nil)}
	if e.Kind == tcp.EventSegment {
		b := wire.Encode(e.Segment.Seg)
		m.Fields, _ = wire.Fields(b)
		if r.raw != nil {
			if rb := r.raw(e.Segment.ID); len(rb) > 0 {
				b = rb // the captured bytes; their fields when they read whole
				if f, err := wire.Fields(rb); err == nil {
					m.Fields = f
				}
			}
		}
		m.Bytes = hex.EncodeToString(b)
	}
	b, _ := json.Marshal(m)
	r.steps[i] = b
	return b
}

// runCache is a least-recently-used set of runs keyed by story and parameters.
type runCache struct {
	max   int
	mu    sync.Mutex
	ll    *list.List
	items map[string]*list.Element
	sims  atomic.Int64 // simulations run, for tests and metrics
}

type runEntry struct {
	key  string
	once sync.Once
	r    *run
	err  error
}

func newRunCache(max int) *runCache {
	return &runCache{max: max, ll: list.New(), items: map[string]*list.Element{}}
}

// get returns the run of story id with parameters p, laid out with o, simulating it at
// most once while it stays in the cache (concurrent askers wait for the one simulation).
func (c *runCache) get(id string, p engine.Params, o diagram.Options, sim func(engine.Params) (*engine.Trace, error)) (*run, error) {
	key := fmt.Sprintf("%s\x00%s\x00%d\x00%d\x00%v\x00%d\x00%g\x00%g\x00%v\x00%d\x00%d", id, p.Profile, p.Seed, p.RTT, p.Drop, p.Jitter, p.Loss, o.Width, o.Expand, p.Rate, p.Queue)
	return c.getRun(key, func() (*run, error) {
		tr, err := sim(p)
		if err != nil {
			return nil, err
		}
		return newRun(tr, o), nil
	})
}

// getRun is get for a run built by build rather than simulated (an imported
// connection's), kept under key while it stays in the cache.
func (c *runCache) getRun(key string, build func() (*run, error)) (*run, error) {
	c.mu.Lock()
	el, ok := c.items[key]
	if ok {
		c.ll.MoveToFront(el)
	} else {
		el = c.ll.PushFront(&runEntry{key: key})
		c.items[key] = el
		for c.ll.Len() > c.max {
			old := c.ll.Back()
			c.ll.Remove(old)
			delete(c.items, old.Value.(*runEntry).key)
		}
	}
	e := el.Value.(*runEntry)
	c.mu.Unlock()
	e.once.Do(func() {
		c.sims.Add(1)
		e.r, e.err = build()
		if e.err != nil {
			c.mu.Lock()
			if c.items[key] == el {
				c.ll.Remove(el)
				delete(c.items, key)
			}
			c.mu.Unlock()
		}
	})
	return e.r, e.err
}
