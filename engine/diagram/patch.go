package diagram

import "reflect"

// Patch is what changed between two layouts of a growing trace (the lab adds a few
// events per action): the layout after it is the one before it with
//
//   - steps[from_step:] replaced by new_steps (existing steps never change, so from_step
//     is the old step count);
//   - items[i] set to item for each {"i": i, "item": item} in items, in order (an index
//     equal to the current length appends): new items, and earlier ones that changed
//     (a state band or timer that ended, an open band that grew);
//   - ticks[from_tick:] replaced by new_ticks, gaps[from_gap:] by new_gaps;
//   - height, lane_bottom, truncated and trunc_l set.
//
// When the earlier layout is not a prefix of the later one (another scenario, width or
// lanes), Full carries the whole new layout instead. JSON:
//
//	{"from_step":12,"new_steps":[…],"items":[{"i":30,"item":{…}}],"from_tick":3,
//	 "new_ticks":[…],"from_gap":0,"new_gaps":[],"height":940,"lane_bottom":900}
type Patch struct {
	Full       *Layout     `json:"full,omitempty"`
	FromStep   int         `json:"from_step"`
	NewSteps   []Step      `json:"new_steps"`
	Items      []PatchItem `json:"items"`
	FromTick   int         `json:"from_tick"`
	NewTicks   []Tick      `json:"new_ticks"`
	FromGap    int         `json:"from_gap"`
	NewGaps    []Gap       `json:"new_gaps"`
	Height     float64     `json:"height"`
	LaneBottom float64     `json:"lane_bottom"`
	Truncated  int         `json:"truncated,omitempty"`
	TruncL     *Label      `json:"trunc_l,omitempty"`
}

// PatchItem is one new or changed item and its index.
type PatchItem struct {
	I    int  `json:"i"`
	Item Item `json:"item"`
}

// Diff returns the patch that turns prev into next.
func Diff(prev, next *Layout) *Patch {
	if prev == nil || prev.Scenario != next.Scenario || prev.Width != next.Width ||
		!reflect.DeepEqual(prev.Lanes, next.Lanes) || len(next.Steps) < len(prev.Steps) ||
		len(next.Items) < len(prev.Items) {
		return &Patch{Full: next}
	}
	for i := range prev.Steps {
		if !reflect.DeepEqual(prev.Steps[i], next.Steps[i]) {
			return &Patch{Full: next}
		}
	}
	p := &Patch{FromStep: len(prev.Steps), NewSteps: next.Steps[len(prev.Steps):],
		Height: next.Height, LaneBottom: next.LaneBottom, Truncated: next.Truncated, TruncL: next.TruncL}
	for i := range next.Items {
		if i >= len(prev.Items) || !reflect.DeepEqual(prev.Items[i], next.Items[i]) {
			p.Items = append(p.Items, PatchItem{I: i, Item: next.Items[i]})
		}
	}
	p.FromTick = commonPrefix(len(prev.Ticks), len(next.Ticks), func(i int) bool { return reflect.DeepEqual(prev.Ticks[i], next.Ticks[i]) })
	p.NewTicks = next.Ticks[p.FromTick:]
	p.FromGap = commonPrefix(len(prev.Gaps), len(next.Gaps), func(i int) bool { return reflect.DeepEqual(prev.Gaps[i], next.Gaps[i]) })
	p.NewGaps = next.Gaps[p.FromGap:]
	return p
}

func commonPrefix(a, b int, same func(int) bool) int {
	i := 0
	for i < a && i < b && same(i) {
		i++
	}
	return i
}

// Apply applies p to l, as the browser's view.patch does, and returns the result.
func (l *Layout) Apply(p *Patch) *Layout {
	if p.Full != nil {
		return p.Full
	}
	out := *l
	out.Steps = append(append([]Step(nil), l.Steps[:p.FromStep]...), p.NewSteps...)
	out.Items = append([]Item(nil), l.Items...)
	for _, pi := range p.Items {
		if pi.I == len(out.Items) {
			out.Items = append(out.Items, pi.Item)
		} else {
			out.Items[pi.I] = pi.Item
		}
	}
	out.Ticks = append(append([]Tick(nil), l.Ticks[:p.FromTick]...), p.NewTicks...)
	out.Gaps = append(append([]Gap(nil), l.Gaps[:p.FromGap]...), p.NewGaps...)
	out.Height, out.LaneBottom, out.Truncated, out.TruncL = p.Height, p.LaneBottom, p.Truncated, p.TruncL
	return &out
}
