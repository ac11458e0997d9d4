package web

import (
	"strconv"

	"synack/engine"
	"synack/engine/catalog"
	"synack/engine/tcp"
	"synack/templates"
)

// ccSummary is the side-by-side's table (one row per measure, a value per side, rfc
// first) and the sentences that say why the two runs differ, each computed from the
// two traces and each true of them: a sentence about a loss is written only when both
// runs had one.
func ccSummary(sides [2]*ccSide, lang string) ([]templates.CCRow, []string) {
	rfc, lin := sides[0].sum, sides[1].sum
	sums := [2]engine.TransferSummary{rfc, lin}
	var rows []templates.CCRow
	row := func(key string, label engine.Text, val func(s engine.TransferSummary, profile string) engine.Text) {
		r := templates.CCRow{Key: key, Label: label.In(lang)}
		for i, s := range sums {
			r.Values = append(r.Values, val(s, ccProfiles[i]).In(lang))
		}
		rows = append(rows, r)
	}
	// When: the first of the two to finish, else the end of the common axis.
	by := sides[0].tsg.Frame.Until
	if rfc.Finish != tcp.Never && lin.Finish != tcp.Never {
		by = min(rfc.Finish, lin.Finish)
	}
	row("delivered", catalog.F("cc.row.delivered", secs3(by)), func(s engine.TransferSummary, _ string) engine.Text {
		d := s.DeliveredBy(by)
		pct := 0
		if s.Bytes > 0 {
			pct = int(d * 100 / s.Bytes)
		}
		return catalog.F("cc.val.delivered", d, s.Bytes, pct)
	})
	row("finish", catalog.T("cc.row.finish"), func(s engine.TransferSummary, _ string) engine.Text {
		if s.Finish == tcp.Never {
			return catalog.T("cc.val.unfinished")
		}
		return catalog.F("cc.val.secs", secs3(tcp.Time(0).Add(s.Finish.Sub(s.Start))))
	})
	row("retransmissions", catalog.T("cc.row.retransmissions"), func(s engine.TransferSummary, _ string) engine.Text {
		return catalog.F("cc.val.count", s.Retransmissions, s.Lost)
	})
	row("found", catalog.T("cc.row.found"), func(s engine.TransferSummary, _ string) engine.Text {
		if s.Loss.At == tcp.Never {
			return catalog.T("cc.val.noloss")
		}
		return catalog.F("cc.val.found", foundText(s.Loss.FoundBy), secs3(s.Loss.At))
	})
	row("cwnd", catalog.T("cc.row.cwnd"), func(s engine.TransferSummary, _ string) engine.Text {
		if s.Loss.At == tcp.Never {
			return catalog.T("cc.val.noloss")
		}
		return catalog.F("cc.val.cwnd", s.Loss.CwndBefore, s.Loss.CwndAfter)
	})
	row("ssthresh", catalog.T("cc.row.ssthresh"), func(s engine.TransferSummary, profile string) engine.Text {
		switch {
		case s.Loss.At == tcp.Never:
			return catalog.T("cc.val.noloss")
		case s.Loss.Ssthresh == 0:
			return catalog.T("cc.val.nossthresh")
		case profile == "rfc": // RFC 5681 eq. (4): from the flight
			return catalog.F("cc.val.ssthresh.flight", s.Loss.Ssthresh, s.Loss.SetFlight, s.MSS)
		}
		// CUBIC (tcp_cubic.c): from the window, in whole segments.
		return catalog.F("cc.val.ssthresh.cwnd", s.Loss.Ssthresh, s.Loss.SetCwnd/uint32(max(s.MSS, 1)), s.MSS, s.Loss.SetCwnd)
	})
	return rows, ccWhy(rfc, lin, lang)
}

// ccWhy says why the two runs differ, from their numbers and the two profiles' rules.
func ccWhy(rfc, lin engine.TransferSummary, lang string) []string {
	var out []engine.Text
	rn, ln := catalog.T("cc.name.rfc"), catalog.T("cc.name.linux")
	if rfc.Finish != tcp.Never && lin.Finish != tcp.Never && rfc.Finish != lin.Finish {
		first, second := ln, rn
		d := rfc.Finish.Sub(rfc.Start) - lin.Finish.Sub(lin.Start)
		if d < 0 {
			first, second, d = rn, ln, -d
		}
		out = append(out, catalog.F("cc.why.finish", first, secs3(tcp.Time(0).Add(d)), second))
	}
	lp, rp := tcp.LinuxProfile(), tcp.RFCProfile()
	// The initial windows matter only to a transfer larger than the smaller of them.
	if max(rfc.Bytes, lin.Bytes) > int64(rp.InitialCwnd)*int64(max(rfc.MSS, lin.MSS)) {
		out = append(out, catalog.F("cc.why.iw", lp.InitialCwnd, rp.InitialCwnd))
	}
	switch {
	case rfc.Loss.At == tcp.Never && lin.Loss.At == tcp.Never:
		out = append(out, catalog.T("cc.why.noloss"))
	case rfc.Loss.At != tcp.Never && lin.Loss.At != tcp.Never:
		if rfc.Loss.FoundBy != lin.Loss.FoundBy {
			out = append(out, catalog.F("cc.why.found", foundText(lin.Loss.FoundBy), secs3(lin.Loss.At), foundText(rfc.Loss.FoundBy), secs3(rfc.Loss.At)))
		}
		if rfc.Loss.Ssthresh > 0 && lin.Loss.Ssthresh > 0 {
			out = append(out, catalog.F("cc.why.beta", rfc.Loss.SetFlight, rfc.Loss.Ssthresh, lin.Loss.SetCwnd, lin.Loss.Ssthresh))
		}
		if rfc.Timeouts >= 2 && lin.Timeouts >= 2 {
			out = append(out, catalog.F("cc.why.backoff", rfc.Timeouts, secs3(rfc.FirstRepair), lin.Timeouts, secs3(lin.FirstRepair)))
		}
		if rfc.Loss.FoundBy == engine.FoundByDupAcks && lin.Loss.FoundBy == engine.FoundByDupAcks {
			out = append(out, catalog.F("cc.why.prr", lin.Loss.CwndAfter, rfc.Loss.CwndAfter))
		}
	default:
		out = append(out, catalog.T("cc.why.oneloss"))
	}
	s := make([]string, len(out))
	for i, t := range out {
		s[i] = t.In(lang)
	}
	return s
}

// foundText names what found a loss, in the catalogue's words.
func foundText(by string) engine.Text {
	switch by {
	case engine.FoundByRTO:
		return catalog.T("cc.found.rto")
	case engine.FoundByProbe:
		return catalog.T("cc.found.probe")
	}
	return catalog.T("cc.found.dupacks")
}

// secs3 writes a time in seconds with three decimals.
func secs3(t tcp.Time) string { return strconv.FormatFloat(float64(t)/1e6, 'f', 3, 64) }
