package tcp

import (
	"fmt"
	"time"
)

// OptionLayout says in which order an endpoint writes its SYN and SYN-ACK options.
type OptionLayout uint8

// The option layouts.
const (
	// LayoutLinux is tcp_options_write's order: with timestamps "mss,sackOK,TS,nop,wscale";
	// without them "mss,nop,nop,sackOK,nop,wscale" (net/ipv4/tcp_output.c).
	LayoutLinux OptionLayout = iota
	// LayoutRFC is a plain textbook order, each option aligned with NOPs:
	// "mss,nop,wscale,nop,nop,sackOK,nop,nop,TS".
	LayoutRFC
)

// Profile is a value holding every behaviour that differs between the RFC text and Linux.
// The engine never asks "is this Linux?"; it reads a field. Fields can be overridden one
// by one (the packetdrill runner maps sysctls onto them). The "linux" profile
// (LinuxProfile) is one kernel, Linux 6.18, with its default sysctls; "rfc"
// (RFCProfile) is the RFC text.
type Profile struct {
	Name string

	// Options offered in SYN and SYN-ACK.
	MSS           uint16 // our MSS (Ethernet: 1460)
	DefaultMSS    uint16 // assumed when the peer sends none (RFC 9293 §3.7.1: 536)
	WindowScaling bool   // RFC 7323 §2 (Linux tcp_window_scaling)
	WindowShift   uint8  // the shift we offer
	SACK          bool   // RFC 2018 (Linux tcp_sack)
	Timestamps    bool   // RFC 7323 §3 (Linux tcp_timestamps)
	Layout        OptionLayout
	RecvWindow    uint32 // receive buffer space we advertise, in bytes
	// RmemMax and WmemMax are net.core.rmem_max and wmem_max: the most SO_RCVBUF and
	// SO_SNDBUF may ask for (the kernel keeps twice that). Linux 6.18: 4 MiB each.
	// 0: no cap.
	RmemMax, WmemMax int
	// MSSRoundedWindow rounds the initial window down to a multiple of the MSS (less the
	// timestamp option on the passive side), as tcp_select_initial_window does: 64240 in
	// a Linux SYN, 65160 in its SYN-ACK.
	MSSRoundedWindow bool
	// WindowRoundUp rounds the advertised window up to a multiple of 2^shift before
	// scaling it (Linux tcp_select_window), instead of truncating.
	WindowRoundUp bool

	// Retransmission (RFC 6298).
	InitialRTO  time.Duration // §2.1: 1 s
	MinRTO      time.Duration // §2.4: 1 s in the RFC, 200 ms in Linux (TCP_RTO_MIN)
	MaxRTO      time.Duration // §2.5: at least 60 s; Linux TCP_RTO_MAX 120 s
	RTOFallback time.Duration // Linux: 3 s after a handshake that needed a retransmission (0: none)
	// RTOVarFloor makes the variance term at least MinRTO (Linux's rttvar floor), instead of
	// flooring the whole RTO at MinRTO (RFC 6298 §2.4).
	RTOVarFloor bool
	DataRetries int // give up on data after this many retransmissions (Linux tcp_retries2 15)

	// Active open: SYN retransmission.
	SynRetries        int // Linux tcp_syn_retries
	SynLinearTimeouts int // Linux tcp_syn_linear_timeouts: first N retransmissions keep the initial RTO
	// SynTimeBudget gives up once this much time has passed since the first SYN (RFC 1122
	// §4.2.3.5 R2). Zero derives it as Linux's tcp_model_timeout does: (2^(SynRetries+1)-1)
	// times InitialRTO.
	SynTimeBudget time.Duration

	// Passive open.
	SynAckRetries int // Linux tcp_synack_retries
	// SynAckOnDupSYN answers a retransmitted SYN in SYN-RECEIVED with the SYN-ACK again
	// (Linux tcp_check_req) instead of RFC 9293's plain ACK for an unacceptable segment.
	SynAckOnDupSYN bool
	Syncookies     int // Linux tcp_syncookies: 0 never, 1 when the SYN queue overflows, 2 always
	// SynQueuePruning gives old half-open requests fewer SYN-ACK retries (down to 2)
	// while the SYN queue is more than half full, as Linux's reqsk_timer_handler does, so
	// that flooded requests die about 7 s after their SYN instead of 63 s.
	SynQueuePruning bool
	MaxSynBacklog   int // Linux tcp_max_syn_backlog
	// AbortOnOverflow answers a handshake's final ACK with a RST when the accept queue is
	// full, instead of dropping it so that the SYN-ACK is retried (Linux
	// tcp_abort_on_overflow, off by default; tcp_check_req's listen_overflow).
	AbortOnOverflow bool
	Somaxconn       int // Linux net.core.somaxconn: listen() backlog cap

	// InitialCwnd is the initial congestion window in segments (RFC 6928 / Linux: 10;
	// RFC 5681 §3.1: 3 for a 1460-byte MSS).
	InitialCwnd int
	// CongestionControl names the algorithm whose window the profile follows, as
	// TCP_CONGESTION names it: "cubic" (Linux's default, tcp_cubic.c) or "reno"
	// (RFC 5681 in whole segments, tcp_reno_cong_avoid); setsockopt TCP_CONGESTION
	// chooses either for one socket (Conn.SetCongestion).
	CongestionControl string
	// HyStartDetect is CUBIC's HyStart detection, the bits of tcp_cubic's module
	// parameter hystart_detect: 1 the ACK train (a round's ACKs spaced closely for
	// longer than half the minimum RTT), 2 the delay increase (RFC 9438 §4.10 leaves
	// HyStart to the implementation; Linux's default is 3, both).
	HyStartDetect int
	// CwndPerPacket grows the congestion window in slow start by one segment for every
	// segment a cumulative ACK covers (Linux tcp_slow_start, RFC 3465 byte counting),
	// instead of by one segment per ACK (RFC 5681 §3.1).
	CwndPerPacket bool
	// CwndLimitedGrowth grows the congestion window only while the flow uses it: the
	// last flight filled the window, or, in slow start, the window is under twice the
	// largest flight of the current window (Linux tcp_is_cwnd_limited with the
	// bookkeeping of tcp_cwnd_validate; RFC 7661 §4.3 states the same idea). Without it
	// every acknowledging ACK grows the window, as RFC 5681 §3.1 reads. Measured on
	// 6.18 (testdata/packetdrill/tcp-info-ack-estimates.pkt): three segments in flight
	// under a window of ten leave the window at ten when they are acknowledged.
	CwndLimitedGrowth bool
	// IdleRestart brings the congestion window back towards the initial window when the
	// connection starts sending again after more than an RTO idle (RFC 5681 §4.1; Linux
	// tcp_slow_start_after_idle). IdleHalving does it as Linux's tcp_cwnd_restart does:
	// halved once per RTO of idle time, never below min(initial window, cwnd); without
	// it the window is that minimum at once, as RFC 5681 §4.1 says.
	IdleRestart, IdleHalving bool
	// HZ is the kernel's tick rate (CONFIG_HZ, 250 by default): CUBIC reads time in
	// jiffies (tcp_jiffies32), so its curve moves in steps of 1/HZ. 0: 1000.
	HZ int
	// AbortRSTWithACK sends RST,ACK with ACK = RCV.NXT on abort (Linux tcp_send_active_reset)
	// instead of RFC 9293 §3.10.5's bare <SEQ=SND.NXT><CTL=RST>.
	AbortRSTWithACK bool

	// Acknowledgements.
	DelayedACK time.Duration // delayed ACK timeout (Linux TCP_DELACK_MIN 40 ms; RFC 1122: < 500 ms, 200 ms usual)
	// DelayedACKBeforeData is the delayed-ACK timeout before any data has arrived (Linux's
	// ato is still 0, so a delayed ACK of a bare FIN leaves on the next tick); 0: DelayedACK.
	DelayedACKBeforeData time.Duration
	// DelayedACKMax, when set, makes the delayed-ACK timeout follow the receiver's ato
	// estimate (Linux tcp_send_delayed_ack): min(ato, max(SRTT, DelayedACK), DelayedACKMax)
	// once ato has grown past DelayedACK (TCP_DELACK_MAX, 200 ms); 0: always DelayedACK.
	DelayedACKMax time.Duration
	QuickACKs     int // ACK at once for the first N data segments (Linux quick-ACK mode; 0 = off)
	// QuickACKAfterIdle returns to quick-ACK mode when data arrives after a gap longer
	// than the RTO: the sender has probably restarted from a small window, so waiting
	// to ACK would stall it (Linux tcp_event_data_recv → tcp_incr_quickack).
	QuickACKAfterIdle bool
	DelayFINACK       bool // passive side delays the ACK of a FIN (Linux pingpong mode in tcp_fin)
	// PingpongThreshold enters interactive ("pingpong") mode once the application has
	// answered this many times within the ACK timeout of receiving data (Linux
	// tcp_event_data_sent → inet_csk_inc_pingpong_cnt, tcp_pingpong_thresh 1 in 6.18): the
	// ACK of the next request is delayed and rides on the response, with no quick ACKs.
	// A delayed ACK that has to fire leaves the mode (tcp_delack_timer_handler). 0: off.
	PingpongThreshold int
	ACKEverySecond    bool // ACK at once on every second full-sized segment (RFC 9293 §3.8.6.3)

	// Closing.
	MSL              time.Duration // maximum segment lifetime (RFC 9293: 2 min)
	TimeWait         time.Duration // TIME-WAIT length: 2*MSL in the RFC, fixed 60 s in Linux
	FinTimeout       time.Duration // orphaned FIN-WAIT-2 lifetime (Linux tcp_fin_timeout); 0 = forever
	RSTOnUnreadClose bool          // close() with unread data sends RST (Linux tcp_close, RFC 9293 §3.10.4 allows)

	// SendBuffers cuts writes into buffers and transmissions as Linux does, which decides
	// where PSH goes (skb.go): buffers of size_goal, PSH where a write ends or a push is
	// forced (tcp_sendmsg_locked), at most half the congestion window and about 1 ms of
	// the pacing rate per transmission (tcp_write_xmit), PSH on every transmission of
	// more than one segment (__tcp_transmit_skb); without it PSH marks the segment that
	// ends a write (RFC 9293 §3.9.1).
	SendBuffers bool
	// TailLossProbe sends a tail loss probe (RFC 8985 §7; Linux tcp_schedule_loss_probe,
	// tcp_early_retrans 3 or 4) on a SACK connection with one segment out: PTO = 2·SRTT +
	// TCP_RTO_MIN (200 ms), never later than the RTO would fire. The probe resends that
	// segment and re-arms the RTO without backing it off, so an unanswered FIN goes out at
	// +RTO, +RTO, +2·RTO... rather than +RTO, +2·RTO (measured on 6.18). With several
	// segments out Linux probes too and recovers through SACK and RACK, which the engine
	// does not model; there it keeps the RTO.
	TailLossProbe bool
	// HalfWindowMSS bounds the send MSS by half the largest window the peer has shown
	// (all of it while that is at most 536 bytes), as Linux's tcp_bound_to_half_wnd does
	// whenever it syncs the MSS (handshake, window growth): a peer with a tiny window gets
	// small segments instead of waiting for a whole MSS of room.
	HalfWindowMSS bool
	// Nagle holds a partial segment while data is unacknowledged, until TCP_NODELAY
	// (RFC 896; RFC 1122 §4.2.3.4), in Linux's form: only while a partial segment sent
	// earlier is unacknowledged (Minshall's variant, tcp_nagle_check with snd_sml), and
	// never for a segment that carries the FIN.
	Nagle bool
	// WholeSegmentWindow sends a segment only when all of it (a full MSS, or the rest of
	// the data when less) fits in the peer's window, as Linux's tcp_snd_wnd_test does: a
	// window smaller than that is not filled with a small segment (sender-side silly
	// window avoidance, RFC 9293 §3.8.6.2.1).
	WholeSegmentWindow bool
	// RSTTimestamps builds the RST of an abort like any segment of the connection: the
	// current window and, when negotiated, the timestamp option (Linux
	// tcp_send_active_reset → tcp_transmit_skb); RFC 9293 shows a bare RST.
	RSTTimestamps bool
	// ResetOnDataAfterClose answers new data that arrives after close() (or shutdown(SHUT_RD))
	// in FIN-WAIT-1/2 with a reset and drops the connection (RFC 1122 §4.2.2.13 SHOULD;
	// Linux tcp_rcv_state_process, LINUX_MIB_TCPABORTONDATA). Without it the data is queued
	// as RFC 9293 §3.10.7.4 says.
	ResetOnDataAfterClose bool

	// SimOpenACK answers the peer's SYN-ACK in a simultaneous open with an ACK: Linux
	// takes that SYN as a duplicate and acknowledges it with a D-SACK block (RFC 2883)
	// when SACK is on (tcp_data_queue → tcp_dsack_set). RFC 9293 Figure 7 sends none.
	SimOpenACK bool

	// RFC 5961.
	ChallengeACKInterval time.Duration // per-connection challenge ACK rate limit (Linux tcp_invalid_ratelimit)
	TimeWaitAbsorbsACK   bool          // TIME-WAIT swallows a bare in-window ACK (Linux tcp_timewait_state_process)
	TimeWaitRestartOnACK bool          // ... and restarts its timer when it does

	// Keep-alives (RFC 1122 §4.2.3.6), when the application turns them on: the idle time
	// before the first probe (at least two hours by default), the interval between
	// unanswered probes and how many go unanswered before the connection is dropped
	// (Linux tcp_keepalive_time 7200 s, tcp_keepalive_intvl 75 s, tcp_keepalive_probes
	// 9). KeepaliveRST resets the connection then (Linux tcp_keepalive_timer →
	// tcp_send_active_reset); RFC 1122 only says it is dropped.
	KeepaliveIdle     time.Duration
	KeepaliveInterval time.Duration
	KeepaliveProbes   int
	KeepaliveRST      bool

	// ECN setup (RFC 3168 §6.1.1): 0 off, 1 request in SYN, 2 accept when requested (Linux tcp_ecn).
	ECN int

	// Loss recovery (recovery.go, scoreboard.go, rack.go).
	//
	// FastRecovery recovers a loss from the ACKs that follow it instead of waiting for
	// the retransmission timeout: fast retransmit and fast recovery (RFC 5681 §3.2) with
	// the SACK scoreboard of RFC 6675 when SACK was negotiated, and without SACK NewReno
	// (RFC 6582), duplicate ACKs counted as segments that left the network as Linux's
	// tcp_add_reno_sack counts them. Off: only the RTO recovers a loss.
	FastRecovery bool
	// DupThresh is the number of duplicate ACKs, or of SACKed segments above a hole, that
	// means a loss (RFC 5681 §3.2 and RFC 6675 §2: 3; Linux tcp_reordering, 3, which
	// grows on a connection that sees reordering).
	DupThresh int
	// LimitedTransmit lets each of the first duplicate ACKs send one new segment (RFC
	// 3042), by weighing the window against the segments still in the network (Linux
	// does so through tcp_packets_in_flight). The data it sends beyond cwnd does not
	// count in the FlightSize fast recovery halves (RFC 5681 §3.2 step 2;
	// recoverySsthresh).
	LimitedTransmit bool
	// PRR paces fast recovery by Proportional Rate Reduction (RFC 6937, Linux
	// tcp_cwnd_reduction with PRR-SSRB): the window falls towards ssthresh in step with
	// what is delivered. Without it the window is ssthresh at once (RFC 6675 §5 step 4.2).
	PRR bool
	// RACK detects losses by time (RFC 8985; Linux tcp_recovery=1, the default since
	// 4.18): a segment is lost once a segment sent after it was delivered and an RTT plus
	// a reordering window of min_rtt/4 has passed, with a reorder timer for the rest.
	// Without it a SACKed connection deems a segment lost by RFC 6675's IsLost.
	RACK bool
	// RenoHold keeps a connection without SACK in recovery until an ACK passes the
	// recovery point, not merely reaches it (Linux tcp_try_undo_recovery, after RFC 2582);
	// RFC 6582 §3.2 step 3 ends recovery on the ACK of the recovery point.
	RenoHold bool

	// FastOpen is TCP Fast Open (RFC 7413), as the bits of Linux's net.ipv4.tcp_fastopen:
	// FastOpenClient, FastOpenServer, FastOpenClientNoCookie, FastOpenServerNoCookie,
	// FastOpenServerAnyListener. Linux's default is FastOpenClient; 0 is off.
	FastOpen int

	// MD5Unexpected drops a segment that carries an MD5 signature (RFC 2385) when the
	// socket has no key, as Linux does (tcp_inbound_md5_hash, TCPMD5Unexpected); the
	// engine configures no keys (TCP_MD5SIG is not modelled).
	MD5Unexpected bool

	// SynAckEcrCheck resets a SYN-ACK whose timestamp echo is no TS val sent since the
	// first SYN (Linux tcp_rcv_synsent_state_process, PAWSActiveRejected).
	SynAckEcrCheck bool

	// MinTSOSegs is the fewest segments one transmission may carry whatever the pacing
	// rate (Linux net.ipv4.tcp_min_tso_segs, default 2), with SendBuffers.
	MinTSOSegs int
	// PacingSSRatio and PacingCARatio are the pacing rate, in percent of cwnd·MSS/SRTT,
	// while cwnd is under half ssthresh and after (net.ipv4.tcp_pacing_ss_ratio 200,
	// tcp_pacing_ca_ratio 120; tcp_update_pacing_rate); with SendBuffers it sizes
	// transmissions.
	PacingSSRatio, PacingCARatio int
	// RTTEveryAck takes an RTT sample from every ACK (Linux tcp_clean_rtx_queue,
	// tcp_ack_update_rtt): from the send time of the oldest segment it acknowledges when
	// none of them was resent, else of the first segment it newly SACKs that never was,
	// else, if it acknowledged data, from its TS ecr; instead of timing one segment a
	// round trip (RFC 6298 §3 with Karn's algorithm).
	RTTEveryAck bool
}

// MaxPacingRatio is the largest tcp_pacing_ss_ratio and tcp_pacing_ca_ratio Linux takes
// (1000 %, sysctl_net_ipv4.c: proc_dointvec_minmax up to SYSCTL_ONE_THOUSAND; 1001 is
// refused with EINVAL on 6.18).
const MaxPacingRatio = 1000

// LinuxProfile returns the defaults of one kernel, Linux 6.18 (every value checked on
// 6.18.44 with the scripts in testdata/packetdrill, run on the engine and on the kernel).
func LinuxProfile() Profile {
	return Profile{
		Name:          "linux",
		MSS:           1460,
		DefaultMSS:    536,
		WindowScaling: true,
		// tcp_select_initial_window: ilog2(max(tcp_rmem[2], rmem_max)) - 15, with
		// tcp_rmem[2] = 32 MiB in 6.18 (this kernel reads "4096 131072 33554432").
		WindowShift: 10,
		SACK:        true,
		Timestamps:  true,
		Layout:      LayoutLinux,
		RecvWindow:  65535,
		RmemMax:     4 << 20,
		WmemMax:     4 << 20,

		MSSRoundedWindow: true,
		WindowRoundUp:    true,

		InitialRTO:  time.Second,
		MinRTO:      200 * time.Millisecond,
		MaxRTO:      120 * time.Second,
		RTOFallback: 3 * time.Second,
		RTOVarFloor: true,
		DataRetries: 15,

		SynRetries:        6,
		SynLinearTimeouts: 4,

		SynAckRetries:   5,
		SynAckOnDupSYN:  true,
		Syncookies:      1,
		SynQueuePruning: true,
		// tcp_max_syn_backlog is max(128, ehash buckets / 128) (tcp_sk_init), so it
		// depends on the machine's memory; the 6.18.44 machine these facts were
		// checked on reads 2048.
		MaxSynBacklog: 2048,
		Somaxconn:     4096, // net.core.somaxconn, SOMAXCONN since 5.4

		InitialCwnd:       10,
		CongestionControl: "cubic",
		HyStartDetect:     HyStartACKTrain | HyStartDelay,
		CwndPerPacket:     true,
		CwndLimitedGrowth: true,
		IdleRestart:       true,
		IdleHalving:       true,
		HZ:                250, // Kconfig's default, and the 6.18.44 kernel's the scripts ran on
		AbortRSTWithACK:   true,

		DelayedACK:           40 * time.Millisecond,
		DelayedACKBeforeData: time.Millisecond,
		DelayedACKMax:        200 * time.Millisecond,
		QuickACKs:            16,
		QuickACKAfterIdle:    true,
		DelayFINACK:          true,
		PingpongThreshold:    1,
		ACKEverySecond:       true,

		MSL:              60 * time.Second,
		TimeWait:         60 * time.Second,
		FinTimeout:       60 * time.Second,
		RSTOnUnreadClose: true,

		SimOpenACK:            true,
		RSTTimestamps:         true,
		TailLossProbe:         true,
		Nagle:                 true,
		WholeSegmentWindow:    true,
		HalfWindowMSS:         true,
		SendBuffers:           true,
		ResetOnDataAfterClose: true,

		ChallengeACKInterval: 500 * time.Millisecond,
		TimeWaitAbsorbsACK:   true,
		TimeWaitRestartOnACK: true,

		KeepaliveIdle:     2 * time.Hour,
		KeepaliveInterval: 75 * time.Second,
		KeepaliveProbes:   9,
		KeepaliveRST:      true,

		ECN: 2,

		FastRecovery:    true,
		DupThresh:       3,
		LimitedTransmit: true,
		PRR:             true,
		RACK:            true,
		RenoHold:        true,

		FastOpen: FastOpenClient,

		MD5Unexpected:  true,
		SynAckEcrCheck: true,
		MinTSOSegs:     2,
		PacingSSRatio:  200,
		PacingCARatio:  120,
		RTTEveryAck:    true,
	}
}

// RFCProfile returns textbook RFC 9293 / RFC 6298 behaviour: 2-minute MSL (TIME-WAIT 4
// minutes), pure exponential SYN backoff, 200 ms delayed ACKs.
func RFCProfile() Profile {
	return Profile{
		Name:          "rfc",
		MSS:           1460,
		DefaultMSS:    536,
		WindowScaling: true,
		WindowShift:   7,
		SACK:          true,
		Timestamps:    true,
		Layout:        LayoutRFC,
		RecvWindow:    65535,

		InitialRTO:  time.Second,
		MinRTO:      time.Second,
		MaxRTO:      60 * time.Second,
		DataRetries: 15,

		SynRetries:    6,
		SynTimeBudget: 3 * time.Minute, // RFC 1122 §4.2.3.5: R2 for a SYN at least 3 minutes

		SynAckRetries: 5,
		MaxSynBacklog: 128,
		Somaxconn:     128,

		InitialCwnd:       3,
		CongestionControl: "reno",
		HyStartDetect:     HyStartACKTrain | HyStartDelay, // when a socket picks CUBIC
		IdleRestart:       true,

		DelayedACK:     200 * time.Millisecond,
		ACKEverySecond: true,

		MSL:      2 * time.Minute,
		TimeWait: 4 * time.Minute,

		ChallengeACKInterval: 0,
		// RFC 1122 §4.2.3.6 asks for at least two hours of idle time and leaves the
		// interval and count open; these are the BSD and Linux values.
		KeepaliveIdle:     2 * time.Hour,
		KeepaliveInterval: 75 * time.Second,
		KeepaliveProbes:   9,
		ECN:               0,

		FastRecovery:    true,
		DupThresh:       3,
		LimitedTransmit: true,
	}
}

// ProfileByName returns the named profile ("linux" or "rfc").
func ProfileByName(name string) (Profile, error) {
	switch name {
	case "linux":
		return LinuxProfile(), nil
	case "rfc":
		return RFCProfile(), nil
	}
	return Profile{}, fmt.Errorf("unknown profile %q (want linux or rfc)", name)
}

// ProfileNames lists the built-in profiles.
var ProfileNames = []string{"linux", "rfc"}

// synGiveUp returns how long an active open keeps retransmitting its SYN.
func (p *Profile) synGiveUp() time.Duration {
	if p.SynTimeBudget > 0 {
		return p.SynTimeBudget
	}
	// tcp_model_timeout: the time SynRetries exponential backoffs from InitialRTO take.
	return time.Duration((1<<(p.SynRetries+1))-1) * p.InitialRTO
}

func (p *Profile) initialCwnd() int {
	if p.InitialCwnd <= 0 {
		return 1
	}
	return p.InitialCwnd
}

// TuneNames lists the profile settings a Spec may override, with what they take.
var TuneNames = map[string]string{
	"syncookies":          "0, 1 or 2",
	"syn_retries":         "a count",
	"syn_linear_timeouts": "a count",
	"synack_retries":      "a count",
	"timestamps":          "0 or 1",
	"sack":                "0 or 1",
	"window_scaling":      "0 or 1",
	"fin_timeout":         "a duration such as 60s",
	"time_wait":           "a duration such as 60s",
	"delayed_ack":         "a duration such as 40ms",
	"max_syn_backlog":     "a count",
	"ecn":                 "0, 1 or 2",
	"abort_on_overflow":   "0 or 1",
}

// ApplyTune sets one named profile setting from its text form.
func (p *Profile) ApplyTune(name, value string) error {
	atoi := func() (int, error) {
		var n int
		if _, err := fmt.Sscanf(value, "%d", &n); err != nil || fmt.Sprint(n) != value || n < 0 {
			return 0, fmt.Errorf("%s: %q is not %s", name, value, TuneNames[name])
		}
		return n, nil
	}
	dur := func() (time.Duration, error) {
		d, err := time.ParseDuration(value)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("%s: %q is not %s", name, value, TuneNames[name])
		}
		return d, nil
	}
	var err error
	var n int
	var d time.Duration
	switch name {
	case "syncookies":
		if n, err = atoi(); err == nil && n > 2 {
			err = fmt.Errorf("syncookies: %d is not 0, 1 or 2", n)
		}
		p.Syncookies = n
	case "syn_retries":
		n, err = atoi()
		if err == nil && n > 127 {
			err = fmt.Errorf("syn_retries: %d is above 127", n)
		}
		p.SynRetries, p.SynTimeBudget = n, 0
	case "syn_linear_timeouts":
		n, err = atoi()
		p.SynLinearTimeouts = n
	case "synack_retries":
		n, err = atoi()
		p.SynAckRetries = n
	case "timestamps", "sack", "window_scaling":
		n, err = atoi()
		if err == nil && n > 1 {
			err = fmt.Errorf("%s: %d is not 0 or 1", name, n)
		}
		switch name {
		case "timestamps":
			p.Timestamps = n == 1
		case "sack":
			p.SACK = n == 1
		default:
			p.WindowScaling = n == 1
		}
	case "fin_timeout":
		d, err = dur()
		p.FinTimeout = d
	case "time_wait":
		d, err = dur()
		p.TimeWait = d
	case "delayed_ack":
		d, err = dur()
		p.DelayedACK = d
	case "max_syn_backlog":
		n, err = atoi()
		p.MaxSynBacklog = n
	case "ecn":
		if n, err = atoi(); err == nil && n > 2 {
			err = fmt.Errorf("ecn: %d is not 0, 1 or 2", n)
		}
		p.ECN = n
	case "abort_on_overflow":
		if n, err = atoi(); err == nil && n > 1 {
			err = fmt.Errorf("abort_on_overflow: %d is not 0 or 1", n)
		}
		p.AbortOnOverflow = n == 1
	default:
		return fmt.Errorf("unknown setting %q", name)
	}
	return err
}
