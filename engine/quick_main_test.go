package engine

import (
	"os"
	"testing"
)

func TestQuickDump(t *testing.T) {
	id := os.Getenv("DUMP")
	if id == "" {
		t.Skip()
	}
	p := DefaultParams()
	if os.Getenv("PROF") != "" {
		p.Profile = os.Getenv("PROF")
	}
	tr, err := Run(id, p)
	if err != nil {
		t.Fatal(err)
	}
	tr.WriteText(os.Stdout, TextOptions{NoTimers: os.Getenv("TIMERS") == ""})
}
