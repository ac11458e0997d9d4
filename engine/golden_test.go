package engine

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden traces in testdata/golden")

// Every scenario's JSON trace is compared byte for byte with a reviewed golden file. A
// change to the engine that changes any trace shows up here as a diff to review;
// regenerate with go test ./engine -run Golden -update.
func TestGoldenTraces(t *testing.T) {
	for _, sc := range testStories {
		t.Run(sc.id, func(t *testing.T) {
			tr, err := sc.story.Run(sc.id, DefaultParams())
			if err != nil {
				t.Fatal(err)
			}
			got := tr.JSONLines()
			path := filepath.Join("testdata", "golden", sc.id+".jsonl")
			if *update {
				os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
				for i := 0; i < len(gl) && i < len(wl); i++ {
					if !bytes.Equal(gl[i], wl[i]) {
						t.Fatalf("line %d differs:\n got  %s\n want %s", i+1, gl[i], wl[i])
					}
				}
				t.Fatalf("trace has %d lines, golden %d", len(gl), len(wl))
			}
		})
	}
}
