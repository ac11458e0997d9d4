package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"synack/engine"
	"synack/engine/catalog"
	"synack/engine/diagram"
	"synack/engine/packetdrill"
	"synack/engine/tcp"
	"synack/templates"
)

// The limits of /script, below the parser's own (packetdrill.MaxScriptBytes and
// MaxEvents): a pasted script is a page's worth, and its run stays short.
const (
	// MaxScriptPageBytes is the longest script /script runs.
	MaxScriptPageBytes = 64 << 10
	// MaxScriptPageEvents is the most lines with an event (packets, calls) it runs.
	MaxScriptPageEvents = 1000
	// MaxScriptPageTime is the latest virtual time an event may be scheduled at.
	MaxScriptPageTime = 5 * time.Minute
)

// ScriptResult is the answer to a run of a pasted script (JSON).
type ScriptResult struct {
	Pass         bool     `json:"pass"`
	Line         int      `json:"line,omitempty"`
	Message      string   `json:"message,omitempty"`
	Error        string   `json:"error,omitempty"` // the script was not run: why
	NotEvaluated []string `json:"not_evaluated,omitempty"`
	SVG          string   `json:"svg,omitempty"`
	Tcpdump      []string `json:"tcpdump,omitempty"`
}

func (s *Server) handleScriptPage(w http.ResponseWriter, r *http.Request) {
	p := page(w, r, "", false)
	p.Title = catalog.In(p.Lang, "script.title")
	render(w, r, http.StatusOK, templates.ScriptPage(templates.Script{Page: p,
		Limits:  catalog.F("script.limits", MaxScriptPageBytes>>10, MaxScriptPageEvents, int(MaxScriptPageTime/time.Minute)).In(p.Lang),
		Strings: scriptPageStrings(p.Lang)}))
}

// scriptPageStrings are the words /script hands script.js.
func scriptPageStrings(lang string) map[string]string { return catalog.Subset(lang, "script.") }

func scriptAnswer(w http.ResponseWriter, status int, res ScriptResult) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(res)
}

// eventTimes returns when the script's last event is scheduled.
func lastEventTime(sc *packetdrill.Script) time.Duration {
	var t, last time.Duration
	for _, e := range sc.Events {
		if e.Time.Any {
			continue
		}
		if e.Time.Relative {
			t += e.Time.At
		} else {
			t = e.Time.At
		}
		end := t
		if e.Time.Blocking {
			if e.Time.BlockRel {
				end = t + e.Time.BlockEnd
			} else {
				end = e.Time.BlockEnd
			}
		}
		last = max(last, t, end)
	}
	return last
}

func (s *Server) handleScriptRun(w http.ResponseWriter, r *http.Request) {
	lang, _ := pickLang(r)
	src, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxScriptPageBytes))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		scriptAnswer(w, http.StatusRequestEntityTooLarge, ScriptResult{Error: catalog.F("script.toobig", MaxScriptPageBytes>>10).In(lang)})
		return
	}
	if err != nil {
		scriptAnswer(w, http.StatusBadRequest, ScriptResult{Error: err.Error()})
		return
	}
	sc, err := packetdrill.Parse("script.pkt", src)
	if err != nil {
		res := ScriptResult{Error: err.Error()}
		var pe *packetdrill.ParseError
		if errors.As(err, &pe) {
			res.Line = pe.Line
			res.Error = parseErrorText(pe).In(lang)
		}
		scriptAnswer(w, http.StatusUnprocessableEntity, res)
		return
	}
	if len(sc.Events) > MaxScriptPageEvents {
		scriptAnswer(w, http.StatusUnprocessableEntity, ScriptResult{Line: sc.Events[MaxScriptPageEvents].Line,
			Error: catalog.F("script.events", MaxScriptPageEvents).In(lang)})
		return
	}
	if t := lastEventTime(sc); t > MaxScriptPageTime {
		scriptAnswer(w, http.StatusUnprocessableEntity, ScriptResult{Error: catalog.F("script.time", t, MaxScriptPageTime).In(lang)})
		return
	}
	st := packetdrill.NewEngineStack(tcp.LinuxProfile())
	res := packetdrill.Run(sc, st)
	tr := st.Trace()
	why := runnerText(res.Key, res.Args, res.Msg)
	opt := DiagramOptions(r.URL.Query()) // width=narrow on a phone
	if !res.Pass && res.Line > 0 {
		if res.Expected != nil || res.Sent != nil {
			// The failing line on the diagram itself: the segment it expected as a ghost
			// arrow, the one sent instead marked.
			opt.Mismatch = scriptMismatch(res, tr, scriptLine(src, res.Line), why)
		} else {
			// Not about a segment (a call's result, an assertion): a note where the run
			// stopped.
			tr.Append(tcp.Event{Kind: tcp.EventNote, At: tr.End(), Endpoint: firstEndpoint(tr), Note: "script-mismatch",
				Detail: fmt.Sprintf("line %d: %s", res.Line, res.Msg)})
		}
	}
	out := ScriptResult{Pass: res.Pass, Line: res.Line, NotEvaluated: res.NotEvaluated}
	if !res.Pass {
		out.Message = why.In(lang)
	}
	if tr.Len() > 0 {
		var svg bytes.Buffer
		diagram.WriteSVG(&svg, diagram.Build(tr, opt), diagram.SVGOptions{Lang: lang, UpTo: -1, Title: catalog.In(lang, "script.title")})
		out.SVG = svg.String()
		lines := tr.TcpdumpLines(false)
		for i := 1; i <= len(lines); i++ {
			out.Tcpdump = append(out.Tcpdump, lines[i])
		}
	}
	scriptAnswer(w, http.StatusOK, out)
}

// runnerText is a message of the packetdrill parser or runner in both languages, from
// its key and arguments; a message without a key (the stack's own) is English in both.
func runnerText(key string, args []any, msg string) engine.Text {
	if key == "" || !catalog.Has("packetdrill."+key) {
		return engine.Text{EN: msg, ZH: msg}
	}
	return catalog.F("packetdrill."+key, args...)
}

// parseErrorText is a script the parser refused, in both languages: the line, what is
// wrong, and near which word.
func parseErrorText(pe *packetdrill.ParseError) engine.Text {
	t := runnerText(pe.Key, pe.Args, pe.Msg)
	if pe.Token != "" {
		t = catalog.F("script.near", t, pe.Token)
	}
	return catalog.F("script.at", pe.Line, t)
}

// scriptLine is line n (from 1) of the script as written, trimmed.
func scriptLine(src []byte, n int) string {
	for i, l := range strings.Split(string(src), "\n") {
		if i+1 == n {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

// scriptMismatch says where the run failed, for the diagram: the segment line expected
// (from the stack to its peer, as the run's own segments travel) and the ID of the
// segment sent instead, found in the trace by when it left and its numbers.
func scriptMismatch(res packetdrill.Result, tr *engine.Trace, line string, why engine.Text) *diagram.Mismatch {
	m := &diagram.Mismatch{Why: why, Label: catalog.F("script.expected", res.Line, line)}
	if res.Expected != nil {
		m.Expected = true
		m.Src, m.Dst = "stack", "peer"
		m.At = tcp.Time(res.ExpectedAt / time.Microsecond)
		m.Arrive = m.At
	}
	if res.Sent != nil {
		at := tcp.Time(res.Sent.At / time.Microsecond)
		for _, e := range tr.Scan() {
			if e.Kind == tcp.EventSegment && e.Segment.Src == "stack" && e.At == at &&
				e.Segment.Seg.Seq == res.Sent.Seg.Seq && e.Segment.Seg.Flags == res.Sent.Seg.Flags {
				m.Got = e.Segment.ID
				if m.Expected {
					m.Arrive = m.At + (e.Segment.Arrive - e.At) // the run's own delay
				}
				break
			}
		}
	}
	return m
}

func firstEndpoint(tr *engine.Trace) string {
	for _, ep := range tr.Meta.Endpoints {
		if !strings.HasPrefix(ep.Role, "attack") {
			return ep.Name
		}
	}
	return ""
}
