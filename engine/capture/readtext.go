package capture

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/netip"
	"strconv"

	"synack/engine/tcp"
)

// textState follows tcpdump's relative sequence numbers. tcpdump (without -S) prints a
// connection's first segment that carries ACK with absolute numbers and remembers them;
// later segments with ACK are printed relative to them. The reader does the same in
// reverse, and tells -S output from relative output by which reading lands nearer the
// sequence space the connection is in.
type textState struct {
	line     int
	lastDay  int64 // nanoseconds added for midnight crossings of HH:MM:SS stamps
	lastTOD  int64
	lastTime int64
	conns    map[textKey]*textConn
}

// MaxTextConnections bounds the connections whose relative numbering the text reader
// remembers; beyond it a new connection's numbers are taken as absolute.
const MaxTextConnections = 1 << 16

type textKey struct {
	a, b netip.AddrPort // a < b
}

type textConn struct {
	seqBase, ackBase [2]tcp.Seq // by direction: 0 is a→b
	last             [2]tcp.Seq // last absolute seq seen per direction
	seen             [2]bool
	mode             int8 // 0 undecided, 1 relative, -1 absolute (-S)
}

func (rd *Reader) textErr(format string, args ...any) error {
	e := errAt(rd.off, format, args...)
	e.Line = rd.text.line
	return e
}

// textNext reads lines until one that is a TCP segment.
func (rd *Reader) textNext() (bool, error) {
	for {
		start := rd.off
		line, err := rd.r.ReadSlice('\n')
		rd.off += int64(len(line))
		if err == io.EOF && len(line) == 0 {
			return false, io.EOF
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			rd.text.line++
			return false, rd.textErr("line longer than %d bytes: this is not tcpdump output", MaxLineBytes)
		}
		if err != nil && err != io.EOF {
			return false, err
		}
		rd.text.line++
		if len(line) > MaxLineBytes {
			return false, rd.textErr("line longer than %d bytes: this is not tcpdump output", MaxLineBytes)
		}
		line = bytes.TrimRight(line, "\r\n")
		ok, perr := rd.textLine(line)
		if perr != nil {
			return false, perr
		}
		if ok {
			rd.n++
			rd.pkt.N, rd.pkt.Offset = rd.n, start
			return true, nil
		}
	}
}

// textLine parses one line; false for a line that carries no TCP segment.
func (rd *Reader) textLine(line []byte) (bool, error) {
	if len(bytes.TrimSpace(line)) == 0 {
		return false, nil
	}
	indented := line[0] == ' ' || line[0] == '\t'
	if indented {
		// tcpdump -v continues a packet on an indented line; -X and -A dump bytes there.
		l := bytes.TrimSpace(line)
		if bytes.Contains(l, []byte(": Flags [")) && rd.text.lastTime != 0 {
			return rd.textSegment(l, rd.text.lastTime, 4)
		}
		return false, nil
	}
	if bytes.HasPrefix(line, []byte("reading from")) || bytes.HasPrefix(line, []byte("listening on")) ||
		bytes.HasPrefix(line, []byte("tcpdump:")) || bytes.HasSuffix(line, []byte("packets captured")) ||
		bytes.HasSuffix(line, []byte("received by filter")) || bytes.HasSuffix(line, []byte("dropped by kernel")) {
		return false, nil
	}
	ts, rest, err := rd.textTime(line)
	if err != nil {
		return false, err
	}
	rd.text.lastTime = ts
	// After the time: optionally an interface and direction (-i any), then "IP " or "IP6 ".
	ver := 0
	if i := bytes.Index(rest, []byte("IP6 ")); i >= 0 && (i == 0 || rest[i-1] == ' ') {
		ver, rest = 6, rest[i+4:]
	} else if i := bytes.Index(rest, []byte("IP ")); i >= 0 && (i == 0 || rest[i-1] == ' ') {
		ver, rest = 4, rest[i+3:]
	}
	if ver == 0 {
		return false, nil // ARP and the like
	}
	if bytes.HasPrefix(rest, []byte("(")) { // -v: the IP details; the segment is on the next line
		return false, nil
	}
	if !bytes.Contains(rest, []byte(": Flags [")) {
		return false, nil // UDP, ICMP
	}
	return rd.textSegment(rest, ts, ver)
}

// textTime reads the time stamp at the start of a line: HH:MM:SS.frac (the default),
// YYYY-MM-DD HH:MM:SS.frac (-tttt) or seconds.frac since the epoch (-tt).
func (rd *Reader) textTime(line []byte) (int64, []byte, error) {
	sp := bytes.IndexByte(line, ' ')
	if sp < 0 {
		return 0, nil, rd.textErr("no time stamp: this is not a line of tcpdump -n output")
	}
	tok, rest := line[:sp], line[sp+1:]
	var day int64 = -1
	if len(tok) == 10 && tok[4] == '-' && tok[7] == '-' { // -tttt: a date first
		y, e1 := strconv.Atoi(string(tok[0:4]))
		m, e2 := strconv.Atoi(string(tok[5:7]))
		d, e3 := strconv.Atoi(string(tok[8:10]))
		if e1 != nil || e2 != nil || e3 != nil || m < 1 || m > 12 || d < 1 || d > 31 {
			return 0, nil, rd.textErr("date %q is not YYYY-MM-DD", tok)
		}
		day = daysFromCivil(y, m, d)
		sp = bytes.IndexByte(rest, ' ')
		if sp < 0 {
			return 0, nil, rd.textErr("a date with no time after it")
		}
		tok, rest = rest[:sp], rest[sp+1:]
	}
	whole, frac, _ := bytes.Cut(tok, []byte("."))
	ns, ok := fracNanos(frac)
	if !ok {
		return 0, nil, rd.textErr("time stamp %q: want HH:MM:SS.ffffff, YYYY-MM-DD HH:MM:SS.ffffff or seconds.ffffff", tok)
	}
	if bytes.IndexByte(whole, ':') < 0 { // -tt
		s, err := strconv.ParseInt(string(whole), 10, 64)
		if err != nil || s < 0 || s > 1<<33 {
			return 0, nil, rd.textErr("time stamp %q: want HH:MM:SS.ffffff, YYYY-MM-DD HH:MM:SS.ffffff or seconds.ffffff", tok)
		}
		return s*1e9 + ns, rest, nil
	}
	p := bytes.Split(whole, []byte(":"))
	if len(p) != 3 {
		return 0, nil, rd.textErr("time stamp %q: want HH:MM:SS.ffffff", tok)
	}
	var hms [3]int64
	for i, f := range p {
		v, err := strconv.Atoi(string(f))
		if err != nil || v < 0 || v > 59 || i == 0 && v > 23 {
			return 0, nil, rd.textErr("time stamp %q: want HH:MM:SS.ffffff", tok)
		}
		hms[i] = int64(v)
	}
	tod := (hms[0]*3600+hms[1]*60+hms[2])*1e9 + ns
	if day >= 0 {
		return day*86400e9 + tod, rest, nil
	}
	// No date: count midnight crossings, so time keeps going forward.
	st := &rd.text
	if tod+12*3600e9 < st.lastTOD {
		st.lastDay += 86400e9
	}
	st.lastTOD = tod
	return st.lastDay + tod, rest, nil
}

func fracNanos(f []byte) (int64, bool) {
	if len(f) == 0 || len(f) > 9 {
		return 0, false
	}
	var ns int64
	for i := 0; i < 9; i++ {
		ns *= 10
		if i < len(f) {
			if f[i] < '0' || f[i] > '9' {
				return 0, false
			}
			ns += int64(f[i] - '0')
		}
	}
	return ns, true
}

// daysFromCivil counts days from 1970-01-01 to y-m-d (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era*146097 + doe - 719468)
}

// textSegment parses "SRC.PORT > DST.PORT: Flags [S.], seq 1:2, ack 3, win 4, options [...], length 1".
func (rd *Reader) textSegment(s []byte, ts int64, ver int) (bool, error) {
	p := &rd.pkt
	*p = Packet{TimeNs: ts}
	gt := bytes.Index(s, []byte(" > "))
	colon := bytes.Index(s, []byte(": Flags ["))
	if gt < 0 || colon < gt {
		return false, rd.textErr("want SRC.PORT > DST.PORT: Flags [...] after IP")
	}
	src, err := parseAddrPort(s[:gt])
	if err != nil {
		return false, rd.textErr("source %q: %v", s[:gt], err)
	}
	dst, err := parseAddrPort(s[gt+3 : colon])
	if err != nil {
		return false, rd.textErr("destination %q: %v", s[gt+3:colon], err)
	}
	p.Src, p.SrcPort, p.Dst, p.DstPort = src.Addr(), src.Port(), dst.Addr(), dst.Port()
	rest := s[colon+len(": Flags ["):]
	end := bytes.IndexByte(rest, ']')
	if end < 0 {
		return false, rd.textErr("flags not closed with ]")
	}
	if f := rest[:end]; string(f) != "none" {
		for _, c := range f {
			switch c {
			case 'S':
				p.Flags |= tcp.SYN
			case 'F':
				p.Flags |= tcp.FIN
			case 'R':
				p.Flags |= tcp.RST
			case 'P':
				p.Flags |= tcp.PSH
			case '.':
				p.Flags |= tcp.ACK
			case 'U':
				p.Flags |= tcp.URG
			case 'E':
				p.Flags |= tcp.ECE
			case 'W':
				p.Flags |= tcp.CWR
			default:
				return false, rd.textErr("flag %q is not one tcpdump prints (S F R P . U E W)", c)
			}
		}
	}
	rest = rest[end+1:]
	var seq, ack uint64
	var haveSeq, haveAck, haveLen bool
	for len(rest) > 0 && !haveLen {
		rest = bytes.TrimPrefix(rest, []byte(","))
		rest = bytes.TrimPrefix(rest, []byte(" "))
		key, val, _ := bytes.Cut(rest, []byte(" "))
		var item []byte
		if string(key) == "options" {
			if len(val) == 0 || val[0] != '[' {
				return false, rd.textErr("options not in [...]")
			}
			e := bytes.IndexByte(val, ']')
			if e < 0 {
				return false, rd.textErr("options not closed with ]")
			}
			opts, err := parseTextOptions(val[1:e])
			if err != nil {
				return false, rd.textErr("options: %v", err)
			}
			p.Opts = opts
			rest = val[e+1:]
			continue
		}
		item, rest, _ = bytes.Cut(val, []byte(","))
		if i := bytes.IndexByte(item, ':'); i >= 0 && string(key) == "length" { // "length 78: HTTP..."
			item = item[:i]
		}
		switch string(key) {
		case "seq":
			a, _, _ := bytes.Cut(item, []byte(":"))
			v, err := strconv.ParseUint(string(a), 10, 32)
			if err != nil {
				return false, rd.textErr("seq %q is not a 32-bit number", item)
			}
			seq, haveSeq = v, true
		case "ack":
			v, err := strconv.ParseUint(string(item), 10, 32)
			if err != nil {
				return false, rd.textErr("ack %q is not a 32-bit number", item)
			}
			ack, haveAck = v, true
		case "win":
			v, err := strconv.ParseUint(string(item), 10, 16)
			if err != nil {
				return false, rd.textErr("win %q is not a 16-bit number", item)
			}
			p.Window = uint16(v)
		case "urg":
			v, err := strconv.ParseUint(string(item), 10, 16)
			if err != nil {
				return false, rd.textErr("urg %q is not a 16-bit number", item)
			}
			p.Urgent = uint16(v)
		case "length":
			v, err := strconv.ParseUint(string(bytes.TrimSpace(item)), 10, 32)
			if err != nil || v > 65535 {
				return false, rd.textErr("length %q is not a segment length", item)
			}
			p.PayloadLen, haveLen = int(v), true
		default:
			// Something tcpdump adds that changes nothing here ("[bad tcp cksum]", "[S.E]").
		}
	}
	if !haveLen {
		return false, rd.textErr("no length: want tcpdump -n output with \", length N\"")
	}
	if p.Opts == nil {
		p.Opts = tcp.Options{}
	}
	rd.textNumbers(p, seq, ack, haveSeq, haveAck)
	return true, nil
}

// textNumbers turns tcpdump's printed numbers back into absolute ones.
func (rd *Reader) textNumbers(p *Packet, seq, ack uint64, haveSeq, haveAck bool) {
	st := &rd.text
	a, b := netip.AddrPortFrom(p.Src, p.SrcPort), netip.AddrPortFrom(p.Dst, p.DstPort)
	dir := 0
	if b.Compare(a) < 0 {
		a, b, dir = b, a, 1
	}
	if st.conns == nil {
		st.conns = map[textKey]*textConn{}
	}
	k := textKey{a, b}
	c := st.conns[k]
	s, k2 := tcp.Seq(seq), tcp.Seq(ack)
	if !haveSeq { // tcpdump leaves seq out of a segment with no payload: it is the last one
		if c != nil && c.seen[dir] {
			s = c.last[dir]
		}
	}
	if p.Flags&tcp.ACK == 0 {
		// Without ACK, tcpdump prints absolute numbers.
		if c != nil && (p.Flags&tcp.SYN != 0) { // a new SYN: numbering starts again
			delete(st.conns, k)
			c = nil
		}
	} else if c == nil {
		if len(st.conns) < MaxTextConnections {
			c = &textConn{}
			c.seqBase[dir], c.ackBase[dir] = s, k2-1
			c.seqBase[1-dir], c.ackBase[1-dir] = k2-1, s
			c.last[1-dir], c.seen[1-dir] = k2, true // what the other side sends next
			st.conns[k] = c
		}
	} else if c.mode >= 0 {
		rel, relAck := s+c.seqBase[dir], k2+c.ackBase[dir]
		if c.mode == 0 && haveSeq && c.seen[dir] {
			// Which reading is nearer where this direction was?
			dAbs, dRel := dist(s, c.last[dir]), dist(rel, c.last[dir])
			if dRel < dAbs {
				c.mode = 1
			} else if dAbs < dRel {
				c.mode = -1
			}
		} else if c.mode == 0 && haveAck && c.seen[1-dir] {
			dAbs, dRel := dist(k2, c.last[1-dir]), dist(relAck, c.last[1-dir])
			if dRel < dAbs {
				c.mode = 1
			} else if dAbs < dRel {
				c.mode = -1
			}
		}
		if c.mode == 1 || c.mode == 0 && s < 1<<20 && k2 < 1<<20 {
			if haveSeq {
				s = rel
			}
			k2 = relAck
		}
	}
	if c != nil {
		n := uint32(p.PayloadLen)
		if p.Flags&(tcp.SYN|tcp.FIN) != 0 {
			n++
		}
		c.last[dir], c.seen[dir] = s.Add(n), true
	}
	p.Seq, p.Ack = s, k2
}

func dist(a, b tcp.Seq) uint32 {
	d := uint32(a - b)
	if int32(d) < 0 {
		d = -d
	}
	return d
}

// parseAddrPort reads tcpdump's "1.2.3.4.80" or "::1.80".
func parseAddrPort(b []byte) (netip.AddrPort, error) {
	i := bytes.LastIndexByte(b, '.')
	if i < 0 {
		return netip.AddrPort{}, errNoPort
	}
	a, err := netip.ParseAddr(string(b[:i]))
	if err != nil {
		return netip.AddrPort{}, err
	}
	port, err := strconv.ParseUint(string(b[i+1:]), 10, 16)
	if err != nil {
		return netip.AddrPort{}, errNoPort
	}
	return netip.AddrPortFrom(a, uint16(port)), nil
}

type textError string

func (e textError) Error() string { return string(e) }

const (
	errNoPort = textError("want ADDRESS.PORT with a numeric port (tcpdump -n)")
)

// parseTextOptions reads tcpdump's option list: "mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7".
func parseTextOptions(b []byte) (tcp.Options, error) {
	os := tcp.Options{}
	for _, f := range bytes.Split(b, []byte(",")) {
		w := bytes.Fields(f)
		if len(w) == 0 {
			continue
		}
		num := func(i int, bits int) (uint64, error) {
			if i >= len(w) {
				return 0, textError("option " + string(w[0]) + " has no value")
			}
			return strconv.ParseUint(string(w[i]), 10, bits)
		}
		switch string(w[0]) {
		case "nop":
			os = append(os, tcp.Option{Kind: tcp.OptNOP})
		case "eol":
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
		case "sackOK":
			os = append(os, tcp.Option{Kind: tcp.OptSACKPermitted})
		case "TS":
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
			// "sack 1 {101:201}": blocks in tcpdump's relative numbering when the
			// segment's are; kept only as a count-preserving record.
			o := tcp.Option{Kind: tcp.OptSACK}
			for _, blk := range bytes.Split(bytes.Join(w[2:], nil), []byte("}")) {
				blk = bytes.TrimPrefix(blk, []byte("{"))
				l, r, ok := bytes.Cut(blk, []byte(":"))
				if !ok {
					continue
				}
				lv, e1 := strconv.ParseUint(string(l), 10, 32)
				rv, e2 := strconv.ParseUint(string(r), 10, 32)
				if e1 != nil || e2 != nil {
					return nil, textError("sack block {" + string(blk) + "} is not {left:right}")
				}
				o.Blocks = append(o.Blocks, tcp.SACKBlock{Left: tcp.Seq(lv), Right: tcp.Seq(rv)})
			}
			os = append(os, o)
		default:
			// tcp-fastopen, mptcp, unknown-N: kept out; they do not change the analysis.
		}
	}
	return os, nil
}
