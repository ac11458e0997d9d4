package main

import (
	"errors"
	"io"

	"synack/engine"
	"synack/engine/capture"
	"synack/lessons/stories"
)

// runScenario runs any story of the catalogue by its id.
func runScenario(id string, p engine.Params) (*engine.Trace, error) {
	return stories.Default().Run(id, p)
}

// writeTrace writes a trace in one of the output formats.
func writeTrace(w io.Writer, tr *engine.Trace, format string, opt engine.TextOptions) error {
	switch format {
	case "json":
		return tr.WriteJSONLines(w)
	case "text":
		return tr.WriteText(w, opt)
	case "pcap":
		return capture.WritePCAP(w, tr)
	case "pcapng":
		return capture.WritePCAPNG(w, tr, []byte(tr.Meta.KeyLog))
	}
	return errors.New("unknown format " + format)
}
