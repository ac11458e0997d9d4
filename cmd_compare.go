package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"synack/engine"
	"synack/engine/catalog"
	"synack/engine/handshakes"
)

func cmdCompare(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("compare", stderr)
	rtt := fs.Duration("rtt", 100*time.Millisecond, "round-trip time of the path (10ms to 500ms)")
	lose := fs.Bool("lose-first", false, "lose the client's first packet with payload (ClientHello, QUIC Initial, or the plain HTTP request)")
	format := fs.String("format", "text", "output format: text or json")
	lang := fs.String("lang", "en", "language of the names: en or zh")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("compare: unexpected argument %q", pos[0])
	}
	if *format != "text" && *format != "json" {
		return usageErr("compare: --format %q: want text or json", *format)
	}
	if *lang != "en" && *lang != "zh" {
		return usageErr("compare: --lang %q: want en or zh", *lang)
	}
	rows, err := handshakes.Compare(*rtt, *lose)
	if err != nil {
		return usageErr("compare: --rtt: %v", err)
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		for _, r := range rows {
			if err := enc.Encode(r.Result); err != nil {
				return err
			}
		}
		return nil
	}
	return writeCompareText(stdout, rows, *rtt, *lose, *lang)
}

func writeCompareText(out io.Writer, rows []handshakes.Row, rtt time.Duration, lose bool, lang string) error {
	w := bufio.NewWriter(out)
	lost := engine.Text{}
	if lose {
		lost = catalog.T("cli.compare.lost")
	}
	fmt.Fprint(w, catalog.F("cli.compare.head", rtt, lost).In(lang))
	c := []string{"id", catalog.In(lang, "cli.compare.packets"), catalog.In(lang, "cli.compare.request"),
		catalog.In(lang, "cli.compare.first"), catalog.In(lang, "cli.compare.bytes")}
	fmt.Fprintf(w, "%-23s %8s %14s %17s %16s  %s\n", c[0], c[1], c[2], c[3], c[4], "")
	for _, r := range rows {
		note := r.Title.In(lang) // a modelled row says so in its name
		fmt.Fprintf(w, "%-23s %8d %14.2f %17.2f %16d  %s\n", r.ID, r.HandshakePackets,
			r.RTTsBeforeRequest, r.RTTsToFirstResponseByte, r.HandshakeBytes, note)
	}
	return w.Flush()
}
