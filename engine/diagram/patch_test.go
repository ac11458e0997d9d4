package diagram

import (
	"encoding/json"
	"reflect"
	"testing"

	"synack/engine"
)

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A lab session grows its trace one action at a time: applying each action's patch to
// the first layout gives the last one, earlier items keep their places, and a patch is
// much smaller than the layout it updates.
func TestLabPatchesRebuildTheLayout(t *testing.T) {
	lab, err := engine.NewLab(engine.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	acts := []engine.LabAction{
		{Endpoint: "server", Op: "listen"}, {Endpoint: "client", Op: "connect"},
		{Endpoint: "client", Op: "send", Bytes: 100}, {Endpoint: "server", Op: "read"},
		{Endpoint: "network", Op: "drop-next", Dir: "server->client"},
		{Endpoint: "server", Op: "send", Bytes: 300}, {Endpoint: "client", Op: "read"},
		{Endpoint: "client", Op: "send", Bytes: 50}, {Endpoint: "server", Op: "read"},
		{Endpoint: "client", Op: "close"}, {Endpoint: "server", Op: "close"},
	}
	first := Build(lab.Trace(), Options{Growing: true})
	cur, prev := first, first
	var last *Layout
	for _, a := range acts {
		if _, err := lab.Do(a); err != nil {
			t.Fatalf("%+v: %v", a, err)
		}
		next := Build(lab.Trace(), Options{Growing: true})
		p := Diff(prev, next)
		if p.Full != nil {
			t.Fatalf("after %+v: the layout is not a growth of the one before", a)
		}
		// Earlier items stay where they were: only bands and timers that ended or grew change.
		for _, pi := range p.Items {
			if pi.I < len(prev.Items) {
				o, n := prev.Items[pi.I], pi.Item
				if !reflect.DeepEqual(o.T, n.T) || o.Y1 != n.Y1 || o.X1 != n.X1 {
					t.Errorf("after %+v: item %d (%s) moved: %+v → %+v", a, pi.I, o.Kind, o.T, n.T)
				}
			}
		}
		if ps, ls := len(jsonOf(t, p)), len(jsonOf(t, next)); len(next.Steps) > 20 && ps*2 > ls {
			t.Errorf("after %+v: the patch is %d bytes for a %d-byte layout", a, ps, ls)
		}
		cur = cur.Apply(p)
		prev, last = next, next
	}
	if got, want := jsonOf(t, cur), jsonOf(t, last); got != want {
		t.Fatalf("patched layout differs from the last one:\n%s\n%s", got, want)
	}
}
