package diagram

import (
	"encoding/hex"
	"fmt"
	"strings"

	"synack/engine"
	"synack/engine/catalog"
	"synack/engine/tcp"
)

// optionsText writes a segment's options for the transcript as tcpdump and packetdrill
// do ("mss 1460,sackOK,…"), but for the Fast Open option (RFC 7413 §4.1.1), whose
// "FO" and "FO 280eec90707defe7" say little to a reader: it is spelled out as a cookie
// request or a cookie.
func optionsText(os tcp.Options) engine.Text {
	en := make([]string, len(os))
	zh := make([]string, len(os))
	for i, o := range os {
		if !o.IsFastOpen() {
			en[i], zh[i] = o.String(), o.String()
			continue
		}
		name := catalog.T("option.fastopen")
		if o.Kind == tcp.OptExperimental {
			name = catalog.T("option.fastopen.experimental")
		}
		var t engine.Text
		if len(o.Cookie) == 0 {
			t = catalog.F("option.fastopen.request", name)
		} else {
			t = catalog.F("option.fastopen.cookie", name, hex.EncodeToString(o.Cookie))
		}
		en[i], zh[i] = t.EN, t.ZH
	}
	return engine.Text{EN: strings.Join(en, ","), ZH: strings.Join(zh, ",")}
}

// fastOpenArrow is what a segment's arrow says of its Fast Open option (RFC 7413
// §4.1.1), in both languages; ok is false when it has none: "TFO cookie request"
// ("cookie request" on a phone's short arrows) for the option without a cookie,
// "cookie" for one that carries it (the cookie itself is in the transcript and the
// inspector; the arrow of a SYN with a cookie and data has little room to spare).
func fastOpenArrow(g tcp.Segment, narrow bool) (t engine.Text, ok bool) {
	for _, o := range g.Options {
		switch {
		case !o.IsFastOpen():
		case len(o.Cookie) > 0:
			return catalog.T("arrow.fastopen.cookie"), true
		case narrow:
			return catalog.T("arrow.fastopen.request-short"), true
		default:
			return catalog.T("arrow.fastopen.request"), true
		}
	}
	return engine.Text{}, false
}

// NoteText returns the text for a note key (the key itself if unknown).
func NoteText(key string) engine.Text {
	if k := "note." + key; catalog.Has(k) {
		return catalog.T(k)
	}
	return engine.Text{EN: key, ZH: key}
}

// noteAbbrev is the short form of a note, for a lane with no room for the whole text
// beside it (a phone's): the full text is in the transcript. It is the English and
// the Chinese, as sideText takes them, or nil for a note that has none.
func noteAbbrev(key string) []string {
	if k := "note.short." + key; catalog.Has(k) {
		t := catalog.T(k)
		return []string{t.EN, t.ZH}
	}
	return nil
}

// timerText is a timer's name as the transcript writes it ("retransmission timer").
func timerText(k tcp.TimerKind) engine.Text { return catalog.T("timer." + k.String()) }

func appText(e *tcp.Event) engine.Text {
	call := e.Call + "()"
	switch e.Result {
	case "ok":
		if e.Bytes != 0 {
			return engine.Text{EN: fmt.Sprintf("%s = %d", call, e.Bytes), ZH: fmt.Sprintf("%s = %d", call, e.Bytes)}
		}
		return engine.Text{EN: call, ZH: call}
	case "pending":
		return engine.Text{EN: call + " …", ZH: call + " …"}
	}
	return engine.Text{EN: call + " = " + e.Result, ZH: call + " = " + e.Result}
}

// appAbbrev is the short form of a call that failed: its error alone ("ETIMEDOUT"),
// drawn where the whole "connect() = ETIMEDOUT" has no room; nil for a call that did
// not fail (the item's title has the whole text).
func appAbbrev(e *tcp.Event) []string {
	if e.Result == "ok" || e.Result == "pending" || !strings.HasPrefix(e.Result, "E") {
		return nil
	}
	return []string{e.Result}
}

// Describe writes one trace event as a line of the text transcript, in both languages.
func Describe(tr *engine.Trace, e *tcp.Event) engine.Text {
	at := fmtTime(e.At)
	switch e.Kind {
	case tcp.EventSegment:
		s := e.Segment
		g := s.Seg
		what := segLabel(g, 0, 0, false)
		if !g.UDP {
			what += fmt.Sprintf(" win %d", g.Window)
		}
		whatT := engine.Text{EN: what, ZH: what}
		if !g.UDP && len(g.Options) > 0 {
			o := optionsText(g.Options)
			whatT.EN += " <" + o.EN + ">"
			whatT.ZH += " <" + o.ZH + ">"
		}
		if s.Label != "" {
			whatT.EN += " [" + s.Label + "]"
			whatT.ZH += " [" + s.Label + "]"
		}
		var tags []engine.Text
		if s.Retransmit {
			tags = append(tags, catalog.T("describe.retransmission"))
		}
		switch s.Fate {
		case tcp.Dropped:
			tags = append(tags, catalog.T("describe.lost"))
		case tcp.Unrouted:
			tags = append(tags, catalog.T("describe.unrouted"))
		default:
			tags = append(tags, catalog.F("describe.arrives", fmtTime(s.Arrive)))
		}
		if s.Cookie != nil {
			tags = append(tags, catalog.F("describe.cookie", s.Cookie.Counter, s.Cookie.MSSIndex))
		}
		return catalog.F("describe.segment", at, s.Src, s.Dst, whatT, catalog.Join("sep.list", tags))
	case tcp.EventState:
		return catalog.F("describe.state", at, e.Endpoint, e.From, e.To, CauseText(e.Cause))
	case tcp.EventApp:
		return catalog.F("describe.call", at, e.Endpoint, appText(e))
	case tcp.EventTimer:
		t := timerText(e.Timer)
		switch e.Action {
		case tcp.TimerSet:
			return catalog.F("describe.timer.set", at, e.Endpoint, t, fmtDur(e.Duration))
		case tcp.TimerFired:
			return catalog.F("describe.timer.fired", at, e.Endpoint, t)
		}
		return catalog.F("describe.timer.cancelled", at, e.Endpoint, t)
	case tcp.EventNote:
		return catalog.F("describe.note", at, e.Endpoint, NoteText(e.Note))
	case tcp.EventQueue:
		if queueOver(e.SynQueue, e.Backlog) {
			return catalog.F("describe.queue.over", at, e.Endpoint, e.SynQueue, e.Backlog, e.AcceptQueue)
		}
		return catalog.F("describe.queue", at, e.Endpoint, e.SynQueue, e.Backlog, e.AcceptQueue)
	}
	return engine.Text{}
}

// queueOver tells a SYN queue holding more than its backlog (9 of 8: Linux's queue is
// full only when it holds more than the backlog), whose texts say so.
func queueOver(synq, backlog int) bool { return backlog > 0 && synq > backlog }

// CauseText is a state change's cause in both languages: the engine writes it in
// English, the catalogue has it in Chinese ("cause." and the English words).
func CauseText(c string) engine.Text {
	if k := "cause." + c; catalog.Has(k) {
		return catalog.T(k)
	}
	return engine.Text{EN: c, ZH: c}
}
