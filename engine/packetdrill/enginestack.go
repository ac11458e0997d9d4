package packetdrill

import (
	"errors"
	"fmt"
	"math/bits"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"synack/engine"
	"synack/engine/tcp"
)

// EngineStack runs scripts against synack's engine, in virtual time: a script that
// waits 60 s of TIME-WAIT runs in microseconds. Its socket calls are performed by the
// engine's socket layer, tcp.Sockets.
type EngineStack struct {
	h     *tcp.Host
	socks *tcp.Sockets
	tr    engine.Trace
	now   time.Duration
	out   []Sent
	done  []Done
	segID int
	// rmem2 is tcp_rmem[2]; with net.core.rmem_max it sets the window scale we offer.
	rmem2 int
	// remote is the script's peer (RemoteAddr unless the script says otherwise).
	remote netip.Addr
	// nstatSeen is nstat's history: the counters' values at its last run.
	nstatSeen map[string]int
	// files are the files the script's commands made, by path (enginefiles.go).
	files map[string][]byte
}

// NewEngineStack returns the engine with the given profile as the stack under test.
func NewEngineStack(prof tcp.Profile) *EngineStack {
	s := &EngineStack{remote: RemoteAddr}
	s.h = tcp.NewHost("stack", LocalAddr, prof, tcp.NewRand(1), s)
	s.h.Names = func(netip.Addr) string { return "peer" }
	s.socks = tcp.NewSockets(s.h)
	s.tr.Meta = engine.Meta{Scenario: "packetdrill", Profile: prof.Name, Seed: 1,
		Endpoints: []engine.EndpointInfo{{Name: "peer", Addr: RemoteAddr.String(), Role: "client"}, {Name: "stack", Addr: LocalAddr.String(), Role: "server"}}}
	return s
}

// SetAddrs gives the stack under test the script's addresses (--local_ip, --remote_ip)
// before it runs.
func (s *EngineStack) SetAddrs(local, remote netip.Addr) {
	s.h.Addr, s.remote = local, remote
	s.tr.Meta.Endpoints = []engine.EndpointInfo{{Name: "peer", Addr: remote.String(), Role: "client"}, {Name: "stack", Addr: local.String(), Role: "server"}}
}

// Record keeps the host's events for the trace.
func (s *EngineStack) Record(e tcp.Event) { s.tr.Append(e) }

// Trace returns what happened, for drawing and export.
func (s *EngineStack) Trace() *engine.Trace { return &s.tr }

func vt(d time.Duration) tcp.Time { return tcp.Time(d / time.Microsecond) }

// Tune maps a Linux sysctl onto the profile.
func (s *EngineStack) Tune(name, value string) (bool, error) {
	switch name {
	case "tcp_rmem", "rmem_max":
		f := strings.Fields(value)
		if name == "tcp_rmem" && len(f) != 3 || name == "rmem_max" && len(f) != 1 {
			return false, fmt.Errorf("%q: want %s", value, map[string]string{"tcp_rmem": "min default max", "rmem_max": "a size"}[name])
		}
		n, err := strconv.Atoi(f[len(f)-1])
		if err != nil || n < 0 {
			return false, fmt.Errorf("%q is not a size", f[len(f)-1])
		}
		if name == "tcp_rmem" {
			s.rmem2 = n
		} else {
			s.socks.RmemMax = n
		}
		if s.rmem2 > 0 {
			s.h.Prof.WindowShift = windowShift(max(s.rmem2, s.socks.RmemMax))
		}
		return true, nil
	}
	if name == "tcp_slow_start_after_idle" {
		// RFC 5681 §4.1's restart window (Linux tcp_cwnd_restart), on or off.
		switch strings.TrimSpace(value) {
		case "0":
			s.h.Prof.IdleRestart = false
		case "1":
			s.h.Prof.IdleRestart = true
		default:
			return false, fmt.Errorf("%q is not 0 or 1", value)
		}
		return true, nil
	}
	switch name {
	case "tcp_congestion_control":
		// The algorithm new sockets get: the engine has CUBIC and Reno.
		v := strings.TrimSpace(value)
		if v != tcp.CongestionCubic && v != tcp.CongestionReno {
			return false, nil
		}
		s.h.Prof.CongestionControl = v
		return true, nil
	case "tcp_wmem":
		// tcp_wmem[1] is a new socket's send buffer (sendbuf.go).
		f := strings.Fields(value)
		if len(f) != 3 {
			return false, fmt.Errorf("%q: want min default max", value)
		}
		n, err := strconv.Atoi(f[1])
		if err != nil || n <= 0 {
			return false, fmt.Errorf("%q is not a size", f[1])
		}
		s.socks.WmemDefault = n
		return true, nil
	case "tcp_min_tso_segs":
		n, err := strconv.Atoi(strings.TrimSpace(value))
		if err != nil || n < 1 || n > 255 {
			return false, fmt.Errorf("%q is not 1 to 255", value)
		}
		s.h.Prof.MinTSOSegs = n
		return true, nil
	case "tcp_pacing_ss_ratio", "tcp_pacing_ca_ratio":
		n, err := strconv.Atoi(strings.TrimSpace(value))
		if err != nil || n < 0 || n > tcp.MaxPacingRatio {
			return false, fmt.Errorf("%q is not 0 to %d", value, tcp.MaxPacingRatio)
		}
		if name == "tcp_pacing_ss_ratio" {
			s.h.Prof.PacingSSRatio = n
		} else {
			s.h.Prof.PacingCARatio = n
		}
		return true, nil
	case "tcp_notsent_lowat":
		n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
		if err != nil || n < 0 || n > tcp.NotsentLowatOff {
			return false, fmt.Errorf("%q is not a byte count", value)
		}
		s.socks.NotsentLowat = n
		return true, nil
	}
	if name == "wmem_max" {
		n, err := strconv.Atoi(strings.TrimSpace(value))
		if err != nil || n < 0 {
			return false, fmt.Errorf("%q is not a size", value)
		}
		s.socks.WmemMax = n
		return true, nil
	}
	switch name {
	case "tcp_fastopen":
		n, err := strconv.ParseInt(strings.TrimSpace(value), 0, 32)
		if err != nil || n < 0 {
			return false, fmt.Errorf("%q is not a number", value)
		}
		s.h.Prof.FastOpen = int(n)
		return true, nil
	case "tcp_early_retrans", "tcp_recovery", "tcp_reordering":
		return tuneRecovery(&s.h.Prof, name, strings.TrimSpace(value))
	case "tcp_congestion_control":
		// The profile's own algorithm is what the engine runs; another is not modelled
		// (as TCP_CONGESTION answers).
		return strings.TrimSpace(value) == s.h.Prof.CongestionControl, nil
	case "tcp_cubic.hystart_detect":
		// tcp_cubic's module parameter: which HyStart detections run (bit 0 the ACK
		// train, bit 1 the delay increase; Linux's default is 3).
		n, err := strconv.Atoi(strings.TrimSpace(value))
		if err != nil || n < 0 || n > tcp.HyStartACKTrain|tcp.HyStartDelay {
			return false, fmt.Errorf("%q is not 0 to 3", value)
		}
		s.h.Prof.HyStartDetect = n
		return true, nil
	case "tcp_fastopen_blackhole_timeout_sec":
		// The engine has no Fast Open blackhole detection: what 0 (Linux's default
		// since 5.14) means.
		return value == "0", nil
	case "tcp_fastopen_key":
		k, err := tcp.ParseFastOpenKey(value)
		if err != nil {
			return false, err
		}
		s.h.SetFastOpenKey(k)
		return true, nil
	}
	tune, ok := sysctlNames[name]
	if !ok {
		return false, nil
	}
	if tune == "fin_timeout" {
		value += "s"
	}
	return true, s.h.Prof.ApplyTune(tune, value)
}

// windowShift is the window scale Linux offers for a receive buffer that may grow to
// space bytes: tcp_select_initial_window takes ilog2(space) - 15, at most 14 (RFC 7323).
func windowShift(space int) uint8 {
	if space <= 0 {
		return 0
	}
	return uint8(min(max(bits.Len(uint(space))-1-15, 0), 14))
}

// Command applies the queueing discipline commands whose effect the engine models, on
// the egress of the stack under test: `tc qdisc add|replace dev DEV root pfifo limit 0`
// (a queue with no room: everything the stack sends is dropped before it leaves) and
// `tc qdisc del|delete dev DEV root` (back to the default queue). Any other command (a
// fair-queue qdisc, which paces, or a pfifo that has room) is not modelled.
func (s *EngineStack) Command(cmd string) error {
	f := CommandWords(cmd) // its redirections (2>/dev/null) change nothing here
	if ok, err := s.fileCommand(f); ok {
		return err
	}
	if strings.Join(f, " ") == "ip tcp_metrics flush all" {
		s.h.FlushFastOpenCache() // the cached Fast Open cookies are tcp_metrics entries
		return nil
	}
	if len(f) > 0 && f[0] == "nstat" {
		return s.nstat(f)
	}
	if len(f) > 0 && f[0] == "grep" {
		return s.grepProcNet(f)
	}
	if len(f) >= 6 && f[0] == "tc" && f[1] == "qdisc" && f[3] == "dev" && f[5] == "root" {
		switch {
		case (f[2] == "del" || f[2] == "delete") && len(f) == 6:
			if !s.h.EgressDrop() {
				// Like Linux: the default root qdisc (handle 0) cannot be deleted.
				return errors.New("no qdisc of the script's to delete")
			}
			s.h.SetEgressDrop(false)
			return nil
		case (f[2] == "add" || f[2] == "replace") && len(f) == 9 && f[6] == "pfifo" && f[7] == "limit" && f[8] == "0":
			s.h.SetEgressDrop(true)
			return nil
		}
	}
	return ErrNotModelled
}

func (s *EngineStack) collect(at time.Duration) {
	for _, o := range s.h.TakeOutput() {
		s.out = append(s.out, Sent{At: at, Seg: o.Seg})
		s.segID++
		ev := &tcp.SegmentEvent{ID: s.segID, Src: "stack", Dst: "peer", Seg: o.Seg, Retransmit: o.Retransmit, Cookie: o.Cookie, Arrive: vt(at)}
		s.tr.Append(tcp.Event{Kind: tcp.EventSegment, At: vt(at), Segment: ev})
	}
	s.completed(at)
}

// completed collects the blocking calls that returned by at.
func (s *EngineStack) completed(at time.Duration) {
	for _, c := range s.socks.Completed() {
		s.done = append(s.done, Done{ID: c.ID, At: at, Res: c.Res})
	}
}

// Until runs timers up to t.
func (s *EngineStack) Until(t time.Duration, stopOnSend bool) ([]Sent, []Done, error) {
	for {
		if stopOnSend && len(s.out) > 0 {
			break // what a call or an arrival already sent comes before any timer
		}
		d := s.h.NextDeadline()
		if pt, ok := s.socks.PollDeadline(); ok && pt <= vt(t) && (d == tcp.Never || pt < d) {
			// A poll() times out before the engine's next timer.
			pd := time.Duration(pt) * time.Microsecond
			s.h.At(pt)
			s.now = max(s.now, pd)
			s.completed(pd)
			continue
		}
		if d == tcp.Never || d > vt(t) {
			break
		}
		s.h.Advance(d)
		at := time.Duration(d) * time.Microsecond
		s.now = at
		s.collect(at)
		if stopOnSend && len(s.out) > 0 {
			break
		}
	}
	if !stopOnSend || len(s.out) == 0 {
		s.h.At(vt(t))
		s.now = max(s.now, t)
	}
	out, done := s.out, s.done
	s.out, s.done = nil, nil
	return out, done, nil
}

// Inject hands the engine a segment from the peer.
func (s *EngineStack) Inject(t time.Duration, seg tcp.Segment) error {
	s.segID++
	ev := &tcp.SegmentEvent{ID: s.segID, Src: "peer", Dst: "stack", Seg: seg.Clone(), Arrive: vt(t)}
	s.tr.Append(tcp.Event{Kind: tcp.EventSegment, At: vt(t), Segment: ev})
	s.h.Input(vt(t), seg)
	s.now = t
	s.collect(t)
	return nil
}

// Now returns the virtual time.
func (s *EngineStack) Now() time.Duration { return s.now }

// Info returns the tcp_info fields the engine knows for the socket behind fd.
func (s *EngineStack) Info(fd int) (map[string]int64, bool) { return s.socks.Info(fd) }

// Close ends the run.
func (s *EngineStack) Close() error { return nil }

// FastOpenCookie returns the cookie the engine's listeners give the script's peer.
func (s *EngineStack) FastOpenCookie() ([]byte, error) {
	return s.h.FastOpenCookieFor(s.remote), nil
}

// Call makes a socket call against the engine at script time t.
func (s *EngineStack) Call(t time.Duration, id int, call *tcp.Call, mayBlock bool) (tcp.Result, bool, error) {
	s.h.At(vt(t))
	s.now = t
	defer s.collect(t)
	return s.socks.Do(id, call)
}

var _ Stack = (*EngineStack)(nil)

// tuneRecovery maps the loss-recovery sysctls onto the profile: tcp_early_retrans 0 turns
// the tail loss probe off and 3 or 4 on (1 and 2, the old early retransmit, are not
// modelled); tcp_recovery's bit 0 is RACK (its other bits are not modelled);
// tcp_reordering is the duplicate-ACK threshold.
func tuneRecovery(p *tcp.Profile, name, value string) (bool, error) {
	n, err := strconv.Atoi(value)
	if err != nil || n < 0 {
		return false, fmt.Errorf("%q is not a non-negative number", value)
	}
	switch name {
	case "tcp_early_retrans":
		switch n {
		case 0:
			p.TailLossProbe = false
		case 3, 4:
			p.TailLossProbe = true
		default:
			return false, nil
		}
	case "tcp_recovery":
		p.RACK = n&1 != 0
		return n&^1 == 0, nil
	case "tcp_reordering":
		if n == 0 {
			return false, fmt.Errorf("tcp_reordering 0: Linux refuses it (minimum 1)")
		}
		p.DupThresh = n
	}
	return true, nil
}

// InjectICMP hands the engine an ICMP error from the path.
func (s *EngineStack) InjectICMP(t time.Duration, m tcp.ICMP) error {
	s.h.InputICMP(vt(t), m)
	s.now = t
	s.collect(t)
	return nil
}

// Virtual marks the engine as a stack in virtual time.
func (s *EngineStack) Virtual() {}
