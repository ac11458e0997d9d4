// Command record-handshakes records the TLS and QUIC transcripts synack compares and
// writes them as JSON files, one per variant.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"synack/real/recorder"
)

func main() {
	out := flag.String("out", "transcripts", "directory to write the transcripts to")
	flag.Parse()
	ids := flag.Args()
	if len(ids) == 0 {
		ids = recorder.IDs()
	}
	for _, id := range ids {
		t, err := recorder.Record(id)
		if err != nil {
			fmt.Fprintln(os.Stderr, "record-handshakes:", err)
			os.Exit(1)
		}
		b, err := t.Marshal()
		if err == nil {
			err = os.WriteFile(filepath.Join(*out, id+".json"), b, 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "record-handshakes:", err)
			os.Exit(1)
		}
		fmt.Printf("%-14s %d flights\n", id, len(t.Flights))
	}
}
