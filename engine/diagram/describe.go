package diagram

import (
	"encoding/hex"
	"fmt"
	"strings"

	"synack/engine"
)

// noteTexts translates the engine's note keys.
var noteTexts = map[string]engine.Text{
	"rst-no-socket":           {EN: "no socket for this segment: answer with RST", ZH: "没有对应的套接字：回复 RST"},
	"challenge-ack":           {EN: "challenge ACK (RFC 5961)", ZH: "挑战 ACK（RFC 5961）"},
	"challenge-ack-limited":   {EN: "challenge ACK suppressed by the rate limit", ZH: "挑战 ACK 被速率限制抑制"},
	"unacceptable-segment":    {EN: "segment outside the window: ACK sent", ZH: "报文不在接收窗口内：回复 ACK"},
	"rst-out-of-window":       {EN: "RST outside the window ignored", ZH: "窗口外的 RST 被忽略"},
	"rst-ignored":             {EN: "RST ignored", ZH: "RST 被忽略"},
	"no-ack-dropped":          {EN: "segment without ACK dropped", ZH: "不带 ACK 的报文被丢弃"},
	"segment-dropped":         {EN: "segment dropped", ZH: "报文被丢弃"},
	"bad-ack-in-syn-sent":     {EN: "unacceptable ACK in SYN-SENT: reset", ZH: "SYN-SENT 状态收到不可接受的 ACK：回复 RST"},
	"bad-ack-in-syn-received": {EN: "unacceptable ACK in SYN-RECEIVED: reset", ZH: "SYN-RECEIVED 状态收到不可接受的 ACK：回复 RST"},
	"dup-syn":                 {EN: "retransmitted SYN: SYN-ACK sent again", ZH: "收到重传的 SYN：再次发送 SYN-ACK"},
	"fin-retransmitted":       {EN: "retransmitted FIN in TIME-WAIT: ACK again, restart the timer", ZH: "TIME-WAIT 中收到重传的 FIN：再次确认并重启计时器"},
	"time-wait-reopen":        {EN: "new SYN ends TIME-WAIT", ZH: "新的 SYN 结束了 TIME-WAIT"},
	"syn-queue-full":          {EN: "SYN queue full: SYN dropped", ZH: "半连接队列已满：SYN 被丢弃"},
	"accept-queue-full":       {EN: "accept queue full: dropped", ZH: "全连接队列已满：报文被丢弃"},
	"syn-ack-gave-up":         {EN: "SYN-ACK retries exhausted: half-open connection dropped", ZH: "SYN-ACK 重传次数用尽：半连接被丢弃"},
	"cookie-accepted":         {EN: "ACK carries a valid SYN cookie: connection rebuilt", ZH: "ACK 携带有效的 SYN cookie：连接被重建"},
	"fin-wait-2-timeout":      {EN: "orphaned FIN-WAIT-2 timed out (tcp_fin_timeout)", ZH: "孤儿连接的 FIN-WAIT-2 超时（tcp_fin_timeout）"},
	"paws-reject":             {EN: "old timestamp: rejected by PAWS", ZH: "时间戳过旧：被 PAWS 拒绝"},
	"old-duplicate":           {EN: "an old duplicate SYN from an earlier connection", ZH: "来自早先连接的旧重复 SYN"},
	"fault-armed":             {EN: "network fault armed for the next segment", ZH: "已为下一个报文设置网络故障"},
	"no-connection":           {EN: "no connection for this call", ZH: "此调用没有对应的连接"},
	"tail-loss-probe":         {EN: "no ACK within the probe timeout: tail loss probe", ZH: "探测超时内未收到 ACK：发送尾部丢失探测"},
	"cork-probe":              {EN: "held partial segment sent by the probe timer", ZH: "被暂存的不满报文段由探测计时器发出"},
	"local-congestion-probe":  {EN: "the host's own queue refused the data again: retry in 500 ms", ZH: "本机发送队列再次拒绝了数据：500 毫秒后重试"},
	"data-after-close":        {EN: "new data after the receiving side was shut: reset", ZH: "接收方向已关闭后又收到新数据：回复 RST"},
	"zero-window-probe":       {EN: "the peer's window is zero: window probe (SEQ = SND.UNA − 1)", ZH: "对端窗口为零：发送窗口探测（SEQ = SND.UNA − 1）"},
	"keepalive-probe":         {EN: "idle connection: keepalive probe (SEQ = SND.UNA − 1)", ZH: "连接空闲：发送保活探测（SEQ = SND.UNA − 1）"},
	"keepalive-timeout":       {EN: "keepalive probes unanswered: the connection is dropped", ZH: "保活探测无应答：连接被放弃"},

	// TCP Fast Open (RFC 7413).
	"fast-open-cookie-request": {EN: "TFO cookie requested", ZH: "请求 TFO cookie"},
	"fast-open-cookie":         {EN: "TFO cookie kept", ZH: "TFO cookie 已保存"},
	"fast-open-accepted":       {EN: "TFO cookie valid", ZH: "TFO cookie 有效"},
	"fast-open-cookie-invalid": {EN: "TFO cookie not valid", ZH: "TFO cookie 无效"},
	"fast-open-data-not-acked": {EN: "SYN data not acked", ZH: "SYN 数据未被确认"},
	"fast-open-off":            {EN: "no Fast Open", ZH: "未启用 Fast Open"},

	// What TCP analysis flags in an imported capture (engine/passive), by Wireshark's names.
	"capture-retransmission":          {EN: "TCP retransmission", ZH: "TCP 重传"},
	"capture-fast_retransmission":     {EN: "TCP fast retransmission", ZH: "TCP 快速重传"},
	"capture-spurious_retransmission": {EN: "TCP spurious retransmission: already acknowledged", ZH: "TCP 伪重传：数据已被确认"},
	"capture-duplicate_ack":           {EN: "TCP duplicate ACK", ZH: "TCP 重复确认"},
	"capture-out_of_order":            {EN: "TCP out-of-order segment", ZH: "TCP 乱序报文"},
	"capture-lost_segment":            {EN: "TCP previous segment not captured", ZH: "TCP 前一个报文未被捕获"},
	"capture-zero_window":             {EN: "TCP zero window", ZH: "TCP 零窗口"},
	"capture-window_full":             {EN: "TCP window full", ZH: "TCP 窗口已满"},
	"capture-keep_alive":              {EN: "TCP keep-alive", ZH: "TCP 保活"},
	"capture-reused_ports":            {EN: "TCP port numbers reused", ZH: "TCP 端口号被重用"},
	"capture-rst":                     {EN: "connection reset (RST)", ZH: "连接被重置（RST）"},
	"capture-mid-connection":          {EN: "the capture starts mid-connection: states unknown", ZH: "抓包从连接中途开始：状态未知"},
	"script-mismatch":                 {EN: "the script expected something else here (see its failing line)", ZH: "脚本在此处期望的不是这样（见失败的那一行）"},
}

// optionsText writes a segment's options for the transcript as tcpdump and packetdrill
// do ("mss 1460,sackOK,…"), but for the Fast Open option (RFC 7413 §4.1.1), whose
// "FO" and "FO 280eec90707defe7" say little to a reader: it is spelled out as a cookie
// request or a cookie.
func optionsText(os engine.Options) engine.Text {
	en := make([]string, len(os))
	zh := make([]string, len(os))
	for i, o := range os {
		if !o.IsFastOpen() {
			en[i], zh[i] = o.String(), o.String()
			continue
		}
		name := "Fast Open"
		if o.Kind == engine.OptExperimental {
			name = "Fast Open (experimental option)"
		}
		if len(o.Cookie) == 0 {
			en[i], zh[i] = name+" cookie request", name+" 请求 cookie"
		} else {
			c := hex.EncodeToString(o.Cookie)
			en[i], zh[i] = name+" cookie "+c, name+" cookie "+c
		}
	}
	return engine.Text{EN: strings.Join(en, ","), ZH: strings.Join(zh, ",")}
}

// fastOpenArrow is what a segment's arrow says of its Fast Open option (RFC 7413
// §4.1.1), "" when it has none: "TFO cookie request" ("cookie request" on a phone's
// short arrows) for the option without a cookie, "cookie" for one that carries it (the
// cookie itself is in the transcript and the inspector; the arrow of a SYN with a
// cookie and data has little room to spare).
func fastOpenArrow(g engine.Segment, narrow bool) string {
	for _, o := range g.Options {
		switch {
		case !o.IsFastOpen():
		case len(o.Cookie) > 0:
			return "cookie"
		case narrow:
			return "cookie request"
		default:
			return "TFO cookie request"
		}
	}
	return ""
}

// noteAbbrevs are short forms of notes, for a lane with no room for the whole text
// beside it (a phone's): the full text is in the transcript.
var noteAbbrevs = map[string]string{
	"fast-open-cookie-request": "TFO request",
	"fast-open-cookie":         "cookie kept",
	"fast-open-accepted":       "cookie valid",
	"fast-open-cookie-invalid": "bad cookie",
	"fast-open-data-not-acked": "TFO resend",
	"fast-open-off":            "no TFO",
}

// NoteText returns the text for a note key (the key itself if unknown).
func NoteText(key string) engine.Text {
	if t, ok := noteTexts[key]; ok {
		return t
	}
	return engine.Text{EN: key, ZH: key}
}

var timerTexts = map[engine.TimerKind]engine.Text{
	engine.TimerRTO:        {EN: "retransmission timer", ZH: "重传计时器"},
	engine.TimerDelayedACK: {EN: "delayed ACK", ZH: "延迟确认"},
	engine.TimerTimeWait:   {EN: "TIME-WAIT (2MSL)", ZH: "TIME-WAIT（2MSL）"},
	engine.TimerFinWait2:   {EN: "FIN-WAIT-2 timeout", ZH: "FIN-WAIT-2 超时"},
	engine.TimerKeepalive:  {EN: "keepalive timer", ZH: "保活计时器"},
	engine.TimerPersist:    {EN: "persist timer (zero-window probe)", ZH: "坚持计时器（零窗口探测）"},
}

func timerText(k engine.TimerKind) engine.Text { return timerTexts[k] }

func appText(e *engine.Event) engine.Text {
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

// Describe writes one trace event as a line of the text transcript, in both languages.
func Describe(tr *engine.Trace, e *engine.Event) engine.Text {
	at := fmtTime(e.At)
	switch e.Kind {
	case engine.EventSegment:
		s := e.Segment
		g := s.Seg
		what := segLabel(g, 0, 0, false)
		if !g.UDP {
			what += fmt.Sprintf(" win %d", g.Window)
		}
		whatZH := what
		if !g.UDP && len(g.Options) > 0 {
			o := optionsText(g.Options)
			what += " <" + o.EN + ">"
			whatZH += " <" + o.ZH + ">"
		}
		if s.Label != "" {
			what += " [" + s.Label + "]"
			whatZH += " [" + s.Label + "]"
		}
		en := fmt.Sprintf("%s %s → %s: %s", at, s.Src, s.Dst, what)
		zh := fmt.Sprintf("%s %s → %s：%s", at, s.Src, s.Dst, whatZH)
		var tagsEN, tagsZH []string
		if s.Retransmit {
			tagsEN, tagsZH = append(tagsEN, "retransmission"), append(tagsZH, "重传")
		}
		switch s.Fate {
		case engine.Dropped:
			tagsEN, tagsZH = append(tagsEN, "lost in the network"), append(tagsZH, "在网络中丢失")
		case engine.Unrouted:
			tagsEN, tagsZH = append(tagsEN, "to a spoofed address, nobody receives it"), append(tagsZH, "发往伪造地址，无人接收")
		default:
			tagsEN = append(tagsEN, "arrives at "+fmtTime(s.Arrive))
			tagsZH = append(tagsZH, fmtTime(s.Arrive)+" 到达")
		}
		if s.Cookie != nil {
			tagsEN = append(tagsEN, fmt.Sprintf("ISN is a SYN cookie (counter %d, MSS index %d)", s.Cookie.Counter, s.Cookie.MSSIndex))
			tagsZH = append(tagsZH, fmt.Sprintf("ISN 是 SYN cookie（计数器 %d，MSS 索引 %d）", s.Cookie.Counter, s.Cookie.MSSIndex))
		}
		return engine.Text{EN: en + " (" + strings.Join(tagsEN, "; ") + ")", ZH: zh + "（" + strings.Join(tagsZH, "；") + "）"}
	case engine.EventState:
		return engine.Text{
			EN: fmt.Sprintf("%s %s: %s → %s (%s)", at, e.Endpoint, e.From, e.To, e.Cause),
			ZH: fmt.Sprintf("%s %s：%s → %s（%s）", at, e.Endpoint, e.From, e.To, causeZH(e.Cause)),
		}
	case engine.EventApp:
		t := appText(e)
		return engine.Text{EN: fmt.Sprintf("%s %s calls %s", at, e.Endpoint, t.EN), ZH: fmt.Sprintf("%s %s 调用 %s", at, e.Endpoint, t.ZH)}
	case engine.EventTimer:
		t := timerText(e.Timer)
		switch e.Action {
		case engine.TimerSet:
			return engine.Text{EN: fmt.Sprintf("%s %s: %s set for %s", at, e.Endpoint, t.EN, fmtDur(e.Duration)),
				ZH: fmt.Sprintf("%s %s：设置%s，%s", at, e.Endpoint, t.ZH, fmtDur(e.Duration))}
		case engine.TimerFired:
			return engine.Text{EN: fmt.Sprintf("%s %s: %s fires", at, e.Endpoint, t.EN), ZH: fmt.Sprintf("%s %s：%s到期", at, e.Endpoint, t.ZH)}
		}
		return engine.Text{EN: fmt.Sprintf("%s %s: %s cancelled", at, e.Endpoint, t.EN), ZH: fmt.Sprintf("%s %s：取消%s", at, e.Endpoint, t.ZH)}
	case engine.EventNote:
		t := NoteText(e.Note)
		return engine.Text{EN: fmt.Sprintf("%s %s: %s", at, e.Endpoint, t.EN), ZH: fmt.Sprintf("%s %s：%s", at, e.Endpoint, t.ZH)}
	case engine.EventQueue:
		return engine.Text{
			EN: fmt.Sprintf("%s %s: SYN queue %d of %d, accept queue %d", at, e.Endpoint, e.SynQueue, e.Backlog, e.AcceptQueue),
			ZH: fmt.Sprintf("%s %s：半连接队列 %d/%d，全连接队列 %d", at, e.Endpoint, e.SynQueue, e.Backlog, e.AcceptQueue),
		}
	}
	return engine.Text{}
}

// causeZH translates the engine's state-change causes.
func causeZH(c string) string {
	if t, ok := causes[c]; ok {
		return t
	}
	return c
}

var causes = map[string]string{
	"passive OPEN (listen)":                                "被动打开（listen）",
	"active OPEN (connect)":                                "主动打开（connect）",
	"active OPEN (connect, Fast Open)":                     "主动打开（connect，Fast Open）",
	"received SYN":                                         "收到 SYN",
	"received SYN,ACK":                                     "收到 SYN,ACK",
	"received SYN (simultaneous open)":                     "收到 SYN（同时打开）",
	"received ACK of our SYN":                              "收到对我方 SYN 的确认",
	"CLOSE":                                                "应用调用 close",
	"CLOSE (shutdown)":                                     "应用调用 shutdown",
	"received FIN":                                         "收到 FIN",
	"received FIN (simultaneous close)":                    "收到 FIN（同时关闭）",
	"received FIN that acknowledges ours":                  "收到确认了我方 FIN 的 FIN",
	"our FIN was acknowledged":                             "我方的 FIN 已被确认",
	"TIME-WAIT timer expired":                              "TIME-WAIT 计时器到期",
	"FIN-WAIT-2 timer expired":                             "FIN-WAIT-2 计时器到期",
	"received RST":                                         "收到 RST",
	"sent RST":                                             "发送 RST",
	"received RST in TIME-WAIT":                            "TIME-WAIT 中收到 RST",
	"RST in answer to our SYN":                             "我方 SYN 收到 RST 回应",
	"SYN retransmissions gave up":                          "SYN 重传放弃",
	"SYN-ACK retries exhausted":                            "SYN-ACK 重传次数用尽",
	"retransmissions gave up":                              "重传放弃",
	"ABORT":                                                "中止（ABORT）",
	"CLOSE in SYN-SENT":                                    "在 SYN-SENT 中关闭",
	"ACK carries a valid SYN cookie":                       "ACK 携带有效的 SYN cookie",
	"connection rebuilt from the cookie":                   "根据 cookie 重建连接",
	"SYN in the window in SYN-RECEIVED":                    "SYN-RECEIVED 中收到窗口内的 SYN",
	"CLOSE of the listening socket":                        "关闭监听套接字",
	"new SYN for the same connection":                      "同一连接的新 SYN",
	"shutdown in SYN-SENT":                                 "在 SYN-SENT 中 shutdown",
	"zero-window probes gave up":                           "零窗口探测放弃",
	"TCP_USER_TIMEOUT expired while probing a zero window": "探测零窗口期间 TCP_USER_TIMEOUT 到期",
	"keepalive probes unanswered":                          "保活探测无应答",
	"TCP_USER_TIMEOUT expired during keepalive probes":     "保活探测期间 TCP_USER_TIMEOUT 到期",
}
