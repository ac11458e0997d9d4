package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"synack/engine"
	"synack/engine/capture"
	"synack/engine/diagram"
	"synack/engine/passive"
)

func cmdImport(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("import", stderr)
	format := fs.String("format", "text", "output format: text or json; with --conn also svg or pcapng")
	conn := fs.Int("conn", -1, "show this one connection (its number in the list) instead of the list")
	out := fs.String("o", "", "write to this file instead of standard output")
	relative := fs.Bool("relative", false, "--conn text: relative sequence numbers")
	lang := fs.String("lang", "en", "--conn svg: the diagram's language, en or zh")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: synack import FILE [--format text|json] [--conn N --format text|json|svg|pcapng] [-o FILE]")
		fs.PrintDefaults()
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("import: want exactly one capture file (pcap, pcapng or tcpdump -n text)")
	}
	switch *format {
	case "text", "json":
	case "svg", "pcapng":
		if *conn < 0 {
			return usageErr("import: --format %s needs --conn N", *format)
		}
	default:
		return usageErr("import: --format %q: want text, json, svg or pcapng", *format)
	}
	if *lang != "en" && *lang != "zh" {
		return usageErr("import: --lang %q: want en or zh", *lang)
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return usageErr("import: %v", err)
	}
	defer f.Close()
	res, err := passive.Read(f, passive.Options{Keep: *conn})
	if err != nil {
		var ce *capture.Error
		if errors.As(err, &ce) {
			return usageErr("import: %s: %v", pos[0], err)
		}
		return fmt.Errorf("import: %s: %w", pos[0], err)
	}
	w := stdout
	if *out != "" {
		of, err := os.Create(*out)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		defer of.Close()
		w = of
	}
	bw := bufio.NewWriter(w)
	if *conn < 0 {
		var b []byte
		for _, c := range res.Conns {
			if *format == "json" {
				b = c.AppendJSON(b[:0])
				b = append(b, '\n')
				bw.Write(b)
			} else {
				fmt.Fprintln(bw, c.Line())
			}
		}
		return bw.Flush()
	}
	if *conn >= len(res.Conns) {
		return usageErr("import: --conn %d: the capture has %d connections (0 to %d)", *conn, len(res.Conns), len(res.Conns)-1)
	}
	c := res.Conns[*conn]
	tr := c.Trace(res.KeyLog)
	switch *format {
	case "text":
		err = tr.WriteText(bw, engine.TextOptions{Relative: *relative})
	case "json":
		err = tr.WriteJSONLines(bw)
	case "svg":
		l := diagram.Build(tr, diagram.Options{})
		err = diagram.WriteSVG(bw, l, diagram.SVGOptions{Lang: *lang, Relative: *relative, UpTo: -1, Title: c.A.Addr.String() + " ↔ " + c.B.Addr.String()})
	case "pcapng":
		err = passive.WritePCAPNG(bw, c, res.KeyLog)
	}
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	return bw.Flush()
}
