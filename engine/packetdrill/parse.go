package packetdrill

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"synack/engine/tcp"
)

// Parse reads a script. file names it in error messages.
func Parse(file string, src []byte) (*Script, error) {
	s := &Script{File: file, Tolerance: 0, Options: map[string]string{}}
	if len(src) > MaxScriptBytes {
		return nil, &ParseError{File: file, Line: 1, Msg: fmt.Sprintf(tooBigFormat, len(src), MaxScriptBytes),
			Key: messageKeys[tooBigFormat], Args: []any{len(src), MaxScriptBytes}}
	}
	p := &parser{file: file, src: string(src), line: 1, s: s}
	if err := p.run(); err != nil {
		return nil, err
	}
	return s, nil
}

type parser struct {
	file string
	src  string
	pos  int
	line int
	s    *Script
	// cookieSym collects, for the packet being read, the indexes of its Fast Open options
	// written with the TFO_COOKIE symbol.
	cookieSym []int
	// pyConsts are the names a %{ }% block bound to an integer literal
	// ("TCP_INFINITE_SSTHRESH = 0x7fffffff"): packetdrill runs the blocks in one Python
	// session, so later assertions may compare with them.
	pyConsts map[string]int64
}

func (p *parser) errf(line int, tok, format string, args ...any) error {
	if len(tok) > 40 {
		tok = tok[:40]
	}
	return &ParseError{File: p.file, Line: line, Token: tok, Msg: fmt.Sprintf(format, args...), Key: messageKeys[format], Args: args}
}

// logicalLines splits the source into statements: comments removed, backquoted and
// %{ }% blocks kept whole (they may span lines), each with its first line number.
type stmt struct {
	line int
	text string
}

func (p *parser) statements() ([]stmt, error) {
	var out []stmt
	var cur strings.Builder
	curLine := 0
	src := p.src
	line := 1
	depth := 0
	flush := func() {
		depth = 0
		t := strings.TrimSpace(cur.String())
		if t != "" {
			out = append(out, stmt{line: curLine, text: t})
		}
		cur.Reset()
		curLine = 0
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			for i < len(src) && src[i] != '\n' {
				i++
			}
			i--
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			start := line
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, p.errf(start, "/*", "comment is never closed")
			}
			line += strings.Count(src[i:i+2+end], "\n")
			i += end + 3
		case c == '`':
			end := strings.IndexByte(src[i+1:], '`')
			if end < 0 {
				return nil, p.errf(line, "`", "shell block is never closed")
			}
			if curLine == 0 {
				curLine = line
			}
			cur.WriteString(src[i : i+end+2])
			line += strings.Count(src[i:i+end+2], "\n")
			i += end + 1
		case c == '%' && i+1 < len(src) && src[i+1] == '{':
			end := strings.Index(src[i+2:], "}%")
			if end < 0 {
				return nil, p.errf(line, "%{", "python block is never closed")
			}
			if curLine == 0 {
				curLine = line
			}
			cur.WriteString(src[i : i+end+4])
			line += strings.Count(src[i:i+end+4], "\n")
			i += end + 3
		case c == '\n' && depth > 0:
			// A call's arguments may span lines (packetdrill's lexer reads tokens).
			cur.WriteByte(' ')
			line++
		case c == '\n':
			flush()
			line++
		default:
			if curLine == 0 && c != ' ' && c != '\t' && c != '\r' {
				curLine = line
			}
			switch c {
			case '(', '{', '[':
				depth++
			case ')', '}', ']':
				depth = max(depth-1, 0)
			}
			cur.WriteByte(c)
		}
	}
	flush()
	return out, nil
}

func (p *parser) run() error {
	sts, err := p.statements()
	if err != nil {
		return err
	}
	// packetdrill's grammar: options, one optional untimed shell command (init), timed
	// events, one optional untimed shell command (cleanup).
	timed := 0
	cleanup := false
	for _, st := range sts {
		if strings.HasPrefix(st.text, "--") {
			if len(p.s.Events) > 0 {
				return p.errf(st.line, st.text, "options must come before the first event")
			}
			if err := p.option(st); err != nil {
				return err
			}
			continue
		}
		if len(p.s.Events) >= MaxEvents {
			return p.errf(st.line, "", "more than %d events", MaxEvents)
		}
		if cleanup {
			return p.errf(st.line, st.text, "nothing may follow the untimed shell command that ends a script")
		}
		untimed := strings.HasPrefix(st.text, "`") || strings.HasPrefix(st.text, "%{")
		switch {
		case strings.HasPrefix(st.text, "%{"):
			return p.errf(st.line, "%{", "a python block needs a time (+0 %%{ ... }%%)")
		case untimed && len(p.s.Events) > 0 && timed == 0:
			return p.errf(st.line, st.text, "only one untimed shell command may start a script; give this one a time (+0 `...`)")
		case untimed && timed > 0:
			cleanup = true
		case !untimed:
			timed++
		}
		ev, err := p.event(st)
		if err != nil {
			return err
		}
		p.s.Events = append(p.s.Events, ev)
	}
	return nil
}

func (p *parser) option(st stmt) error {
	for _, f := range strings.Fields(st.text) {
		k, v, ok := strings.Cut(strings.TrimPrefix(f, "--"), "=")
		if !ok && (k == "strict_segments" || k != "" && !strings.ContainsAny(k, " =")) {
			v, ok = "1", true // a flag given alone (--strict_segments, --tcp_ts_ecr_scaled)
		}
		if !ok {
			return p.errf(st.line, f, "script option must look like --name=value")
		}
		p.s.Options[k] = v
		switch k {
		case "tolerance_usecs":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 10_000_000 {
				return p.errf(st.line, f, "tolerance_usecs must be a number of microseconds")
			}
			p.s.Tolerance = time.Duration(n) * time.Microsecond
		case "tcp_ts_tick_usecs":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 10_000_000 {
				return p.errf(st.line, f, "tcp_ts_tick_usecs must be a number of microseconds")
			}
			p.s.TSTick = time.Duration(n) * time.Microsecond
		case "strict_segments":
			p.s.StrictSegments = v == "" || v == "1" || v == "true"
		case "local_ip", "remote_ip":
			a, err := ParseIPv4(v)
			if err != nil {
				return p.errf(st.line, f, "%v", err)
			}
			if k == "local_ip" {
				p.s.Local = a
			} else {
				p.s.Remote = a
			}
		default:
			p.s.Warnings = append(p.s.Warnings, fmt.Sprintf("%s:%d: option --%s ignored", p.file, st.line, k))
		}
	}
	return nil
}

func (p *parser) event(st stmt) (*Event, error) {
	text := st.text
	ev := &Event{Line: st.line}
	// A block without a time happens right after the previous event; the first event,
	// if a shell block without a time, is the init command.
	if strings.HasPrefix(text, "%{") || strings.HasPrefix(text, "`") {
		ev.Init = strings.HasPrefix(text, "`") && len(p.s.Events) == 0
		text = "+0 " + text
	}
	// "+.002 ... 0.004 connect()" is "+.002...0.004 connect()".
	if a, b, ok := strings.Cut(text, "..."); ok && !strings.ContainsAny(strings.TrimSpace(a), " \t(<>") && strings.TrimSpace(a) != "" {
		b = strings.TrimLeft(b, " \t")
		text = strings.TrimSpace(a) + "..." + b
	}
	// The time is the first word.
	sp := strings.IndexAny(text, " \t")
	if sp < 0 {
		return nil, p.errf(st.line, text, "an event needs a time and something to do")
	}
	tw, rest := text[:sp], strings.TrimSpace(text[sp:])
	tm, err := p.time(st.line, tw)
	if err != nil {
		return nil, err
	}
	ev.Time = tm
	switch {
	case strings.HasPrefix(rest, "<") || strings.HasPrefix(rest, ">"):
		pk, err := p.packet(st.line, rest)
		if err != nil {
			return nil, err
		}
		ev.Kind, ev.Packet = PacketEvent, pk
		if pk.Inbound && (tm.Any || tm.HasEnd) {
			return nil, p.errf(st.line, tw, "only outbound packets may have a time range or *")
		}
	case strings.HasPrefix(rest, "`"):
		ev.Kind, ev.Shell = ShellEvent, parseShell(strings.Trim(rest, "`"))
	case strings.HasPrefix(rest, "%{"):
		py, err := p.python(st.line, rest)
		if err != nil {
			return nil, err
		}
		ev.Kind, ev.Python = PythonEvent, py
	default:
		sc, err := p.syscall(st.line, rest)
		if err != nil {
			return nil, err
		}
		ev.Kind, ev.Syscall = SyscallEvent, sc
		if tm.Any || tm.HasEnd {
			return nil, p.errf(st.line, tw, "only outbound packets may have a time range or *")
		}
	}
	if tm.Blocking && ev.Kind != SyscallEvent {
		return nil, p.errf(st.line, tw, "only a system call can block (start...end)")
	}
	return ev, nil
}

// seconds parses "0", "0.100", ".1", "1".
func seconds(s string) (time.Duration, bool) {
	if s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 86400 || strings.ContainsAny(s, "eEinxX") {
		return 0, false
	}
	return time.Duration(f*1e6+0.5) * time.Microsecond, true
}

func (p *parser) time(line int, w string) (Time, error) {
	var t Time
	if w == "*" {
		t.Any = true
		return t, nil
	}
	if a, b, ok := strings.Cut(w, "..."); ok {
		start, err := p.time(line, a)
		if err != nil {
			return t, err
		}
		t = start
		t.Blocking = true
		if strings.HasPrefix(b, "+") {
			t.BlockRel, b = true, b[1:]
		}
		d, ok := seconds(b)
		if !ok {
			return t, p.errf(line, w, "bad end time of a blocking call")
		}
		t.BlockEnd = d
		return t, nil
	}
	if a, b, ok := strings.Cut(w, "~"); ok {
		start, err := p.time(line, a)
		if err != nil {
			return t, err
		}
		t = start
		t.HasEnd = true
		if strings.HasPrefix(b, "+") {
			t.EndRelative, b = true, b[1:]
		}
		d, ok := seconds(b)
		if !ok {
			return t, p.errf(line, w, "bad end of a time range")
		}
		t.End = d
		return t, nil
	}
	if strings.HasPrefix(w, "+") {
		t.Relative, w = true, w[1:]
	}
	d, ok := seconds(w)
	if !ok {
		return t, p.errf(line, w, "bad time (want 0, 0.100, .1, +.1, *, +0~+.2 or start...end)")
	}
	t.At = d
	return t, nil
}

const flagChars = ".SFRPEWU-"

func (p *parser) packet(line int, text string) (*Packet, error) {
	pk := &Packet{Inbound: text[0] == '<'}
	rest := strings.TrimSpace(text[1:])
	// "[ect0]", "[ce]" ...: the IP ECN field the packet must carry (checked on what the
	// stack sends; on what the script injects it is reported as not evaluated).
	if strings.HasPrefix(rest, "[") {
		if j := strings.IndexByte(rest, ']'); j > 0 {
			switch w := strings.TrimSpace(rest[1:j]); w {
			case "noecn", "ect0", "ect1", "ect01", "ce":
				pk.IPECN = w
				rest = strings.TrimSpace(rest[j+1:])
			default:
				if v, ok := strings.CutPrefix(w, "tos "); ok {
					n, err := strconv.ParseUint(strings.TrimSpace(v), 0, 8)
					if err != nil || !strings.HasPrefix(strings.TrimSpace(v), "0x") {
						return nil, p.errf(line, rest, "[tos %s]: want a byte in hex, as [tos 0x10]", strings.TrimSpace(v))
					}
					pk.TOS, pk.HasTOS = uint8(n), true
					rest = strings.TrimSpace(rest[j+1:])
				}
			}
		}
	}
	if strings.HasPrefix(rest, "[") {
		j := strings.IndexByte(rest, ']')
		if j < 0 {
			return nil, p.errf(line, rest, "[port N] is not closed with ]")
		}
		f := strings.Fields(rest[1:j])
		if len(f) != 2 || f[0] != "port" {
			return nil, p.errf(line, rest[:j+1], "want [port N] to name another peer's port")
		}
		v, err := strconv.ParseUint(f[1], 10, 16)
		if err != nil || v == 0 {
			return nil, p.errf(line, f[1], "a port is a number from 1 to 65535")
		}
		pk.Port = uint16(v)
		rest = strings.TrimSpace(rest[j+1:])
	}
	if f := strings.Fields(rest); len(f) > 0 && f[0] == "icmp" {
		if !pk.Inbound {
			return nil, p.errf(line, rest, "only inbound ICMP packets are supported")
		}
		ic, err := p.icmp(line, f[1:])
		if err != nil {
			return nil, err
		}
		pk.ICMP = ic
		return pk, nil
	}
	// Options are the trailing <...> list.
	if i := strings.IndexByte(rest, '<'); i >= 0 {
		j := strings.LastIndexByte(rest, '>')
		if j < i {
			return nil, p.errf(line, rest[i:], "option list is not closed with >")
		}
		if strings.TrimSpace(rest[j+1:]) != "" {
			return nil, p.errf(line, rest[j+1:], "text after the option list")
		}
		pk.OptsList = true
		inner := strings.TrimSpace(rest[i+1 : j])
		if inner == "..." {
			pk.OptsAny = true
		} else {
			p.cookieSym = nil
			opts, err := p.options(line, inner)
			if err != nil {
				return nil, err
			}
			pk.Options, pk.CookieSym = opts, p.cookieSym
		}
		rest = strings.TrimSpace(rest[:i])
	}
	f := strings.Fields(rest)
	if len(f) < 2 {
		return nil, p.errf(line, rest, "a packet needs flags and seq:end(len)")
	}
	for _, c := range f[0] {
		if !strings.ContainsRune(flagChars, c) {
			return nil, p.errf(line, f[0], "unknown flag %q (flags are from .SFRPEWU or -)", c)
		}
		switch c {
		case 'S':
			pk.Flags |= tcp.SYN
		case 'F':
			pk.Flags |= tcp.FIN
		case 'R':
			pk.Flags |= tcp.RST
		case 'P':
			pk.Flags |= tcp.PSH
		case '.':
			pk.Flags |= tcp.ACK
		case 'E':
			pk.Flags |= tcp.ECE
		case 'W':
			pk.Flags |= tcp.CWR
		case 'U':
			pk.Flags |= tcp.URG
		}
	}
	// seq:end(len)
	se := f[1]
	a, b, ok := strings.Cut(se, ":")
	lp := strings.IndexByte(b, '(')
	if !ok || lp < 0 || !strings.HasSuffix(b, ")") {
		return nil, p.errf(line, se, "sequence numbers must look like start:end(length)")
	}
	seq, err1 := strconv.ParseUint(a, 10, 32)
	end, err2 := strconv.ParseUint(b[:lp], 10, 32)
	n, err3 := strconv.Atoi(b[lp+1 : len(b)-1])
	if err1 != nil || err2 != nil || err3 != nil || n < 0 || n > MaxPayload {
		return nil, p.errf(line, se, "bad sequence numbers")
	}
	if uint32(end)-uint32(seq) != uint32(n) {
		return nil, p.errf(line, se, "end - start is %d but the length says %d", uint32(end)-uint32(seq), n)
	}
	pk.Seq, pk.End, pk.Len = uint32(seq), uint32(end), n
	for i := 2; i < len(f); i++ {
		switch f[i] {
		case "urg":
			// The urgent pointer (RFC 9293 §3.1): read; the engine ignores URG.
			if i+1 >= len(f) {
				return nil, p.errf(line, f[i], "urg needs a number")
			}
			v, err := strconv.ParseUint(f[i+1], 10, 16)
			if err != nil {
				return nil, p.errf(line, f[i+1], "bad urg value")
			}
			pk.Urgent = uint16(v)
			i++
		case "ack", "win":
			if i+1 >= len(f) {
				return nil, p.errf(line, f[i], "%s needs a number", f[i])
			}
			v, err := strconv.ParseUint(f[i+1], 10, 32)
			if err != nil || f[i] == "win" && v > 65535 {
				return nil, p.errf(line, f[i+1], "bad %s value", f[i])
			}
			if f[i] == "ack" {
				pk.HasAck, pk.Ack = true, uint32(v)
			} else {
				pk.HasWin, pk.Win = true, uint16(v)
			}
			i++
		default:
			return nil, p.errf(line, f[i], "unexpected word in a packet line")
		}
	}
	if pk.Inbound && !pk.HasWin {
		return nil, p.errf(line, rest, "an inbound packet needs win N")
	}
	if pk.Flags&tcp.ACK != 0 && !pk.HasAck {
		if !pk.Inbound {
			return nil, p.errf(line, rest, "a packet with . (ACK) needs ack N")
		}
		// packetdrill's opt_ack: an inbound ACK written without a number acks 0.
		pk.HasAck = true
	}
	return pk, nil
}

func (p *parser) options(line int, inner string) (tcp.Options, error) {
	var os tcp.Options
	for _, part := range strings.Split(inner, ",") {
		w := strings.Fields(part)
		if len(w) == 0 {
			return nil, p.errf(line, inner, "empty option")
		}
		num := func(i int, bits int) (uint64, error) {
			if i >= len(w) {
				return 0, p.errf(line, part, "option %s needs a value", w[0])
			}
			v, err := strconv.ParseUint(w[i], 10, bits)
			if err != nil {
				return 0, p.errf(line, w[i], "bad value for option %s", w[0])
			}
			return v, nil
		}
		switch w[0] {
		case "nop":
			os = append(os, tcp.Option{Kind: tcp.OptNOP})
		case "eol":
			os = append(os, tcp.Option{Kind: tcp.OptEOL})
		case "sackOK":
			os = append(os, tcp.Option{Kind: tcp.OptSACKPermitted})
		case "mss":
			v, err := num(1, 16)
			if err != nil {
				return nil, err
			}
			os = append(os, tcp.Option{Kind: tcp.OptMSS, MSS: uint16(v)})
		case "wscale":
			v, err := num(1, 8)
			if err != nil {
				return nil, err
			}
			os = append(os, tcp.Option{Kind: tcp.OptWindowScale, Shift: uint8(v)})
		case "TS":
			if len(w) != 5 || w[1] != "val" || w[3] != "ecr" {
				return nil, p.errf(line, part, "timestamps must look like TS val N ecr N")
			}
			v, err := num(2, 32)
			if err != nil {
				return nil, err
			}
			e, err := num(4, 32)
			if err != nil {
				return nil, err
			}
			os = append(os, tcp.Option{Kind: tcp.OptTimestamps, TSVal: uint32(v), TSEcr: uint32(e)})
		case "sack":
			o := tcp.Option{Kind: tcp.OptSACK}
			for _, blk := range w[1:] {
				a, b, ok := strings.Cut(blk, ":")
				l, e1 := strconv.ParseUint(a, 10, 32)
				r, e2 := strconv.ParseUint(b, 10, 32)
				if !ok || e1 != nil || e2 != nil {
					return nil, p.errf(line, blk, "sack blocks must look like left:right")
				}
				o.Blocks = append(o.Blocks, tcp.SACKBlock{Left: tcp.Seq(l), Right: tcp.Seq(r)})
			}
			os = append(os, o)
		case "FO", "FOEXP":
			// RFC 7413 §4.1.1's cookie option as packetdrill writes it: "FO" alone is a
			// cookie request, "FO <hex>" carries a cookie; FOEXP is the experimental form
			// (kind 254, magic 0xF989). TFO_COOKIE stands for the cookie the stack under
			// test gives the script's peer (packetdrill's test runner defines it so).
			o := tcp.Option{Kind: tcp.OptFastOpen}
			max := 40 - 2
			if w[0] == "FOEXP" {
				o.Kind, max = tcp.OptExperimental, 40-4
			}
			switch {
			case len(w) == 1:
				o.Cookie = []byte{}
			case len(w) == 2 && w[1] == "TFO_COOKIE":
				p.cookieSym = append(p.cookieSym, len(os))
			case len(w) == 2:
				c, err := hex.DecodeString(w[1])
				if err != nil {
					return nil, p.errf(line, w[1], "a Fast Open cookie is an even number of hex digits")
				}
				if len(c) > max {
					return nil, p.errf(line, w[1], "a Fast Open cookie of %d bytes does not fit in the option space (%d)", len(c), max)
				}
				o.Cookie = c
			default:
				return nil, p.errf(line, part, "want FO, FO <hex cookie> or FOEXP <hex cookie>")
			}
			os = append(os, o)
		case "md5":
			// RFC 2385's MD5 signature option (kind 19, 16 bytes of digest), as
			// packetdrill writes it: md5 <32 hex digits>.
			if len(w) != 2 {
				return nil, p.errf(line, part, "want md5 <32 hex digits>")
			}
			d, err := hex.DecodeString(w[1])
			if err != nil || len(d) != 16 {
				return nil, p.errf(line, w[1], "an MD5 signature is 16 bytes, 32 hex digits")
			}
			os = append(os, tcp.Option{Kind: tcp.OptMD5, Data: d})
		default:
			return nil, p.errf(line, w[0], "unknown option")
		}
	}
	return os, nil
}

// splitArgs splits at top-level commas.
func splitArgs(s string) ([]string, bool) {
	var out []string
	depth := 0
	start := 0
	for i, c := range s {
		switch c {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
			if depth < 0 {
				return nil, false
			}
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, false
	}
	if t := strings.TrimSpace(s[start:]); t != "" || len(out) > 0 {
		out = append(out, t)
	}
	return out, true
}

var knownCalls = map[string]bool{"socket": true, "bind": true, "listen": true, "accept": true, "connect": true,
	"close": true, "shutdown": true, "read": true, "write": true, "send": true, "recv": true,
	"setsockopt": true, "getsockopt": true, "fcntl": true, "ioctl": true, "sendto": true, "recvfrom": true, "sendmsg": true, "recvmsg": true, "poll": true,
	"epoll_create": true, "epoll_create1": true, "epoll_ctl": true, "epoll_wait": true,
	// Calls on files and pipes: parsed, and reported as not modelled when run.
	"open": true, "pipe": true, "sendfile": true, "splice": true}

func (p *parser) syscall(line int, text string) (*Syscall, error) {
	lp := strings.IndexByte(text, '(')
	if lp <= 0 {
		return nil, p.errf(line, text, "expected a packet (< or >), a system call, or a block")
	}
	name := strings.TrimSpace(text[:lp])
	if !knownCalls[name] {
		return nil, p.errf(line, name, "unknown system call")
	}
	// Find the matching parenthesis.
	depth, rp := 0, -1
	for i := lp; i < len(text); i++ {
		switch text[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
			if depth == 0 && text[i] == ')' {
				rp = i
			}
		}
		if rp >= 0 {
			break
		}
	}
	if rp < 0 {
		return nil, p.errf(line, text[lp:], "unbalanced parentheses")
	}
	args, ok := splitArgs(text[lp+1 : rp])
	if !ok {
		return nil, p.errf(line, text[lp:rp+1], "unbalanced brackets in the arguments")
	}
	sc := &Syscall{Name: name, Args: args}
	rest := strings.TrimSpace(text[rp+1:])
	if rest == "" {
		return sc, nil
	}
	if !strings.HasPrefix(rest, "=") {
		return nil, p.errf(line, rest, "expected = and the return value")
	}
	rest = strings.TrimSpace(rest[1:])
	// "= -1 EINPROGRESS (Operation now in progress)"; "= 0x2 (flags O_RDWR)" is allowed.
	if i := strings.IndexByte(rest, '('); i >= 0 {
		rest = strings.TrimSpace(rest[:i])
	}
	f := strings.Fields(rest)
	if len(f) == 0 {
		return nil, p.errf(line, text[rp+1:], "missing return value")
	}
	v, err := strconv.ParseInt(f[0], 0, 64)
	if err != nil {
		return nil, p.errf(line, f[0], "bad return value")
	}
	sc.Ret, sc.HasRet = v, true
	if len(f) > 1 {
		if v != -1 || !strings.HasPrefix(f[1], "E") || len(f) > 2 {
			return nil, p.errf(line, f[1], "only -1 may carry an errno")
		}
		sc.Errno = f[1]
	}
	return sc, nil
}

// sysctlNames maps kernel sysctl names to the engine's tune names.
var sysctlNames = map[string]string{
	"tcp_syn_retries": "syn_retries", "tcp_syn_linear_timeouts": "syn_linear_timeouts",
	"tcp_synack_retries": "synack_retries", "tcp_syncookies": "syncookies", "tcp_timestamps": "timestamps",
	"tcp_sack": "sack", "tcp_window_scaling": "window_scaling", "tcp_fin_timeout": "fin_timeout",
	"tcp_max_syn_backlog": "max_syn_backlog", "tcp_ecn": "ecn", "tcp_abort_on_overflow": "abort_on_overflow",
}

func parseShell(cmd string) *Shell {
	return &Shell{Command: cmd, Steps: shellSteps(cmd)}
}

// sysctlBase turns net.ipv4.tcp_rmem or /proc/sys/net/core/rmem_max into its last name.
func sysctlBase(k string) string {
	k = strings.TrimSpace(k)
	if i := strings.LastIndexAny(k, "./"); i >= 0 {
		return k[i+1:]
	}
	return k
}

// arith evaluates a product of non-negative integers; anything else is kept as written.
func arith(e string) string {
	p := uint64(1)
	for _, f := range strings.Split(e, "*") {
		n, err := strconv.ParseUint(strings.TrimSpace(f), 10, 32)
		if err != nil || p*n/max(n, 1) != p || p*n > 1<<40 {
			return "$((" + e + "))"
		}
		p *= n
	}
	return strconv.FormatUint(p, 10)
}

var tcpStates = map[string]tcp.State{
	"TCP_ESTABLISHED": tcp.Established, "TCP_SYN_SENT": tcp.SynSent, "TCP_SYN_RECV": tcp.SynReceived,
	"TCP_FIN_WAIT1": tcp.FinWait1, "TCP_FIN_WAIT2": tcp.FinWait2, "TCP_TIME_WAIT": tcp.TimeWait,
	"TCP_CLOSE": tcp.Closed, "TCP_CLOSE_WAIT": tcp.CloseWait, "TCP_LAST_ACK": tcp.LastAck,
	"TCP_LISTEN": tcp.Listen, "TCP_CLOSING": tcp.Closing,
}

// tcpCAStates are the names of linux/tcp.h's enum tcp_ca_state, as tcpi_ca_state
// assertions write them.
var tcpCAStates = map[string]tcp.CAState{"TCP_CA_Open": tcp.CAOpen, "TCP_CA_Disorder": tcp.CADisorder,
	"TCP_CA_CWR": tcp.CACWR, "TCP_CA_Recovery": tcp.CARecovery, "TCP_CA_Loss": tcp.CALoss}

// tcpInfoFields are the tcp_info fields an assertion may name.
var tcpInfoFields = map[string]bool{"state": true, "ca_state": true, "retransmits": true, "probes": true,
	"backoff": true, "options": true, "snd_wscale": true, "rcv_wscale": true, "rto": true, "ato": true,
	"snd_mss": true, "rcv_mss": true, "unacked": true, "sacked": true, "lost": true, "retrans": true,
	"fackets": true, "last_data_sent": true, "last_ack_sent": true, "last_data_recv": true,
	"last_ack_recv": true, "pmtu": true, "rcv_ssthresh": true, "rtt": true, "rttvar": true,
	"snd_ssthresh": true, "snd_cwnd": true, "advmss": true, "reordering": true, "rcv_rtt": true,
	"rcv_space": true, "total_retrans": true, "pacing_rate": true, "bytes_acked": true,
	"bytes_received": true, "segs_out": true, "segs_in": true, "notsent_bytes": true,
	"min_rtt": true, "data_segs_in": true, "data_segs_out": true, "delivery_rate": true,
	"busy_time": true, "rwnd_limited": true, "sndbuf_limited": true, "delivered": true,
	"delivered_ce": true, "bytes_sent": true, "bytes_retrans": true, "dsack_dups": true,
	"reord_seen": true, "rcv_ooopack": true, "snd_wnd": true, "rcv_wnd": true}

// python reads a %{ }% block: each "assert tcpi_X op V" is kept, "NAME = integer" binds a
// name later assertions may use, other statements are kept as text for the report.
func (p *parser) python(line int, text string) (*Python, error) {
	py := &Python{Code: text}
	body := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(text), "%{"), "}%")
	body = strings.ReplaceAll(body, "\\\n", " ")
	for _, l := range strings.FieldsFunc(body, func(r rune) bool { return r == '\n' || r == ';' }) {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if p.pyConst(l) {
			continue
		}
		as, ok, err := p.assertion(line, l)
		if err != nil {
			return nil, err
		}
		if ok {
			py.Asserts = append(py.Asserts, as...)
		} else {
			py.Other = append(py.Other, l)
		}
	}
	return py, nil
}

// pyConst binds NAME in a statement "NAME = integer literal" and reports whether l was
// one.
func (p *parser) pyConst(l string) bool {
	name, val, ok := strings.Cut(l, "=")
	name, val = strings.TrimSpace(name), strings.TrimSpace(val)
	if !ok || name == "" || strings.HasPrefix(val, "=") || strings.ContainsAny(name, " \t()[].,") {
		return false
	}
	for i, r := range name {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	v, err := strconv.ParseInt(val, 0, 64)
	if err != nil {
		return false
	}
	if p.pyConsts == nil {
		p.pyConsts = map[string]int64{}
	}
	p.pyConsts[name] = v
	return true
}

// assertion reads "assert tcpi_X op V[, message]" (or "assert A <= tcpi_X <= B", kept as
// two); ok is false for another statement.
func (p *parser) assertion(line int, l string) ([]Assert, bool, error) {
	rest, ok := strings.CutPrefix(l, "assert ")
	if !ok {
		return nil, false, nil
	}
	if i := strings.IndexByte(rest, ','); i >= 0 {
		rest = rest[:i]
	}
	// "(tcpi_options & TCPI_OPT_SYN_DATA) != 0": a masked field.
	var mask int64
	if strings.HasPrefix(rest, "(") {
		inner, after, ok := strings.Cut(rest[1:], ")")
		field, bit, ok2 := strings.Cut(inner, "&")
		field, bit = strings.TrimSpace(field), strings.TrimSpace(bit)
		m, known := tcpiOptBits[bit]
		if !known {
			if v, err := strconv.ParseInt(bit, 0, 64); err == nil && v > 0 {
				m, known = v, true
			}
		}
		if !ok || !ok2 || !known || !strings.HasPrefix(field, "tcpi_") {
			return nil, false, nil
		}
		mask, rest = m, field+" "+after
	}
	f := strings.Fields(rest)
	if len(f) == 5 && strings.HasPrefix(f[2], "tcpi_") {
		flip := map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
		if op, ok := flip[f[1]]; ok {
			a1, ok1, err1 := p.assertion1(line, l, []string{f[2], op, f[0]})
			a2, ok2, err2 := p.assertion1(line, l, f[2:])
			if err1 != nil || err2 != nil || !ok1 || !ok2 {
				return nil, false, nil
			}
			return []Assert{a1, a2}, true, nil
		}
	}
	if len(f) == 3 && !strings.HasPrefix(f[0], "tcpi_") && strings.HasPrefix(f[2], "tcpi_") {
		// "assert 0 == tcpi_rwnd_limited": the value first.
		flip := map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
		if op, ok := flip[f[1]]; ok {
			f = []string{f[2], op, f[0]}
		}
	}
	a, ok, err := p.assertion1(line, l, f)
	if !ok || err != nil {
		return nil, ok, err
	}
	if mask != 0 && a.Field == "state" {
		return nil, false, nil
	}
	a.Mask = mask
	return []Assert{a}, true, nil
}

func (p *parser) assertion1(line int, l string, f []string) (Assert, bool, error) {
	a := Assert{Text: l}
	if len(f) != 3 || !strings.HasPrefix(f[0], "tcpi_") {
		return a, false, nil
	}
	switch f[1] {
	case "==", "!=", "<", "<=", ">", ">=":
	default:
		return a, false, nil
	}
	a.Field, a.Op = strings.TrimPrefix(f[0], "tcpi_"), f[1]
	if !tcpInfoFields[a.Field] {
		return a, false, nil
	}
	if a.Field == "state" {
		st, known := tcpStates[f[2]]
		if !known {
			return a, false, p.errf(line, l, "tcpi_state assertion must compare with a TCP_ state")
		}
		a.Value = int64(st)
		return a, true, nil
	}
	if ca, known := tcpCAStates[f[2]]; known && a.Field == "ca_state" {
		a.Value = int64(ca)
		return a, true, nil
	}
	v, err := strconv.ParseInt(f[2], 0, 64)
	if err != nil {
		c, bound := p.pyConsts[f[2]]
		if !bound {
			return a, false, nil
		}
		v = c
	}
	a.Value = v
	return a, true, nil
}

// icmpTypes and icmpUnreachCodes are packetdrill's names (icmp_packet.c, RFC 792).
var icmpTypes = map[string]uint8{"unreachable": 3, "time_exceeded": 11, "parameter_problem": 12,
	"source_quench": 4, "redirect": 5}

var icmpUnreachCodes = map[string]uint8{"net_unreachable": 0, "host_unreachable": 1,
	"protocol_unreachable": 2, "port_unreachable": 3, "frag_needed": 4, "source_route_failed": 5,
	"net_unknown": 6, "host_unknown": 7, "source_host_isolated": 8, "net_prohibited": 9,
	"host_prohibited": 10, "net_unreachable_for_tos": 11, "host_unreachable_for_tos": 12,
	"packet_filtered": 13, "precedence_violation": 14, "precedence_cutoff": 15}

// icmp reads what follows "icmp": TYPE [CODE] [mtu N] [[start:end(len)]].
func (p *parser) icmp(line int, f []string) (*ICMPSpec, error) {
	if len(f) == 0 {
		return nil, p.errf(line, "icmp", "an ICMP packet needs a type (unreachable, time_exceeded ...)")
	}
	t, ok := icmpTypes[f[0]]
	if !ok {
		return nil, p.errf(line, f[0], "unknown ICMP type")
	}
	ic := &ICMPSpec{Type: t}
	f = f[1:]
	if len(f) > 0 && !strings.HasPrefix(f[0], "[") && f[0] != "mtu" {
		var n int
		if c, ok := icmpUnreachCodes[f[0]]; ok && t == 3 {
			ic.Code = c
		} else if _, err := fmt.Sscanf(f[0], "code_%d", &n); err == nil && n >= 0 && n < 256 {
			ic.Code = uint8(n)
		} else {
			return nil, p.errf(line, f[0], "unknown ICMP code")
		}
		f = f[1:]
	}
	if len(f) > 0 && f[0] == "mtu" {
		if len(f) < 2 {
			return nil, p.errf(line, "mtu", "mtu needs a number")
		}
		v, err := strconv.ParseUint(f[1], 10, 16)
		if err != nil {
			return nil, p.errf(line, f[1], "bad mtu")
		}
		ic.MTU = uint16(v)
		f = f[2:]
	}
	if len(f) > 0 {
		b := strings.Join(f, " ")
		if !strings.HasPrefix(b, "[") || !strings.HasSuffix(b, "]") {
			return nil, p.errf(line, b, "the echoed segment must look like [start:end(len)]")
		}
		a, _, ok := strings.Cut(b[1:len(b)-1], ":")
		v, err := strconv.ParseUint(strings.TrimSpace(a), 10, 32)
		if !ok || err != nil {
			return nil, p.errf(line, b, "the echoed segment must look like [start:end(len)]")
		}
		ic.Seq = uint32(v)
	}
	return ic, nil
}
