package passive

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"synack/engine/capture"
)

// Result is what a whole capture held.
type Result struct {
	Format  capture.Format
	Packets int // TCP segments read
	Skipped int // records that were not TCP segments
	Conns   []*Conn
	KeyLog  []byte // the TLS key log of a pcapng file's Decryption Secrets Blocks
}

// Read reads a whole capture (pcap, pcapng or tcpdump -n text) and tracks its
// connections. Bad input is an error naming the byte offset or line.
func Read(r io.Reader, opt Options) (*Result, error) {
	rd, err := capture.NewReader(r)
	if err != nil {
		return nil, err
	}
	t := New(opt)
	res := &Result{Format: rd.Format()}
	for {
		p, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		res.Packets++
		if _, _, err := t.Add(p); err != nil {
			return nil, err
		}
	}
	res.Skipped = rd.Skipped()
	res.KeyLog = rd.KeyLog()
	res.Conns = t.Conns()
	return res, nil
}

// Duration returns how long the connection lasted in the capture, in nanoseconds.
func (c *Conn) Duration() int64 { return c.Last - c.First }

// Line returns the connection's summary line: index, endpoints, packets, bytes,
// duration, each end's states and the anomalies with their counts.
func (c *Conn) Line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s <-> %s packets %d bytes %d duration %s", c.Index, c.A.Addr, c.B.Addr, c.Packets, c.Bytes, fmtNs(c.Duration()))
	fmt.Fprintf(&b, " | %s: %s | %s: %s", c.A.Addr, strings.Join(c.A.States(), " > "), c.B.Addr, strings.Join(c.B.States(), " > "))
	var an []string
	for a := Anomaly(0); a < NumAnomalies; a++ {
		if n := c.Anomalies[a]; n > 0 {
			an = append(an, fmt.Sprintf("%s ×%d", a, n))
		}
	}
	if len(an) > 0 {
		b.WriteString(" | " + strings.Join(an, ", "))
	}
	return b.String()
}

func fmtNs(ns int64) string {
	return strconv.FormatFloat(float64(ns)/1e9, 'f', 6, 64) + "s"
}

// AppendJSON appends the connection's summary as one JSON object.
func (c *Conn) AppendJSON(b []byte) []byte {
	b = append(b, `{"conn":`...)
	b = strconv.AppendInt(b, int64(c.Index), 10)
	side := func(b []byte, key string, s *Side, role string) []byte {
		b = append(b, `,"`...)
		b = append(b, key...)
		b = append(b, `":{"addr":`...)
		b = strconv.AppendQuote(b, s.Addr.Addr().String())
		b = append(b, `,"port":`...)
		b = strconv.AppendInt(b, int64(s.Addr.Port()), 10)
		if role != "" {
			b = append(b, `,"role":`...)
			b = strconv.AppendQuote(b, role)
		}
		b = append(b, `,"packets":`...)
		b = strconv.AppendInt(b, int64(s.Packets), 10)
		b = append(b, `,"bytes":`...)
		b = strconv.AppendInt(b, s.Bytes, 10)
		b = append(b, `,"states":[`...)
		for i, st := range s.States() {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendQuote(b, st)
		}
		return append(b, "]}"...)
	}
	ra, rb := "", ""
	switch c.Client {
	case "A":
		ra, rb = "client", "server"
	case "B":
		ra, rb = "server", "client"
	}
	b = side(b, "a", &c.A, ra)
	b = side(b, "b", &c.B, rb)
	b = append(b, `,"first_frame":`...)
	b = strconv.AppendInt(b, int64(c.FirstFrame), 10)
	b = append(b, `,"packets":`...)
	b = strconv.AppendInt(b, int64(c.Packets), 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, c.Bytes, 10)
	b = append(b, `,"start_ns":`...)
	b = strconv.AppendInt(b, c.First, 10)
	b = append(b, `,"duration_us":`...)
	b = strconv.AppendInt(b, c.Duration()/1000, 10)
	b = append(b, `,"anomalies":{`...)
	first := true
	for a := Anomaly(0); a < NumAnomalies; a++ {
		if n := c.Anomalies[a]; n > 0 {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = strconv.AppendQuote(b, a.Key())
			b = append(b, ':')
			b = strconv.AppendInt(b, int64(n), 10)
		}
	}
	return append(b, "}}"...)
}
