package templates

import "github.com/a-h/templ"

// Import is the /import page.
type Import struct {
	Page    Page
	Limits  string
	Strings map[string]string // the words import.js uses
}

// ImportConn is one connection of an upload.
type ImportConn struct {
	Page    Page
	Title   string
	SVG     templ.Component
	States  templ.Component // RFC 9293 Figure 5 with each end's path
	BackURL string
	// PcapngURL downloads the connection alone, with its own bytes and times.
	PcapngURL string
	Ends      []ImportEnd
	Frames    []ImportFrame
}

// ImportEnd is one end of a connection with the states it went through.
type ImportEnd struct {
	Addr   string
	States []string
}

// ImportFrame is one packet: tcpdump's line, its anomalies and its bytes.
type ImportFrame struct {
	N         int
	Text      string
	Hex       string
	Anomalies []ImportAnomalyView
}

// ImportAnomalyView is an anomaly's name and the lesson that explains it ("" if none).
type ImportAnomalyView struct {
	Name, Lesson string
}

// Script is the /script page.
type Script struct {
	Page    Page
	Limits  string
	Strings map[string]string // the words script.js uses
}
