package engine

import (
	"strings"
	"testing"
	"time"
)

// A spec can tell the four-way close as data: the same segments as the built-in scenario.
func TestRunSpecFourWayClose(t *testing.T) {
	sp := Spec{
		Listen: 128,
		Server: SpecApp{Read: true, CloseOnEOF: true, CloseDelay: 300 * time.Millisecond},
		Steps: []SpecStep{
			{At: 10 * time.Millisecond, Endpoint: "client", Call: "connect"},
			{At: 500 * time.Millisecond, Endpoint: "client", Call: "close"},
		},
	}
	a, err := RunSpec("four-way-close", sp, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := FourWayClose.Run("four-way-close", DefaultParams())
	if string(a.JSONLines()) != string(b.JSONLines()) {
		t.Fatal("the spec and the built-in four-way-close give different traces")
	}
}

func TestSpecValidateNamesTheProblem(t *testing.T) {
	for name, tc := range map[string]struct {
		sp   Spec
		want string
	}{
		"unknown tune":     {Spec{Tune: map[string]string{"bogus": "1"}}, `unknown setting "bogus"`},
		"bad tune value":   {Spec{Tune: map[string]string{"syncookies": "3"}}, "syncookies: 3"},
		"bad endpoint":     {Spec{Steps: []SpecStep{{Endpoint: "moon", Call: "close"}}}, "steps[0]: endpoint"},
		"bad call":         {Spec{Steps: []SpecStep{{Endpoint: "client", Call: "fly"}}}, `steps[0]: unknown call "fly"`},
		"send no bytes":    {Spec{Steps: []SpecStep{{Endpoint: "client", Call: "send"}}}, "steps[0]: send needs"},
		"bad fault":        {Spec{Faults: []SpecFault{{Action: "explode"}}}, "faults[0]: unknown action"},
		"bad flag":         {Spec{Faults: []SpecFault{{Action: "drop", Flags: "SYN XYZ"}}}, `faults[0]: unknown flag "XYZ"`},
		"flood too big":    {Spec{Flood: SpecFlood{Count: MaxSpecFlood + 1, Interval: time.Millisecond}}, "flood: count"},
		"too many steps":   {Spec{Steps: make([]SpecStep, MaxSpecSteps+1)}, "steps: 65 is more than 64"},
		"negative horizon": {Spec{Horizon: -1}, "horizon"},
	} {
		t.Run(name, func(t *testing.T) {
			err := tc.sp.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	ok := Spec{Flood: SpecFlood{Count: MaxSpecFlood, Interval: time.Millisecond}, Steps: make([]SpecStep, 0, MaxSpecSteps)}
	if err := ok.Validate(); err != nil {
		t.Fatalf("a flood of exactly MaxSpecFlood: %v", err)
	}
}
