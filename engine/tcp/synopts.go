package tcp

// synInfo is what a SYN or SYN-ACK offers (or what we offer in ours).
type synInfo struct {
	mss          uint16 // 0: no MSS option
	ws           bool
	shift        uint8
	sack, ts     bool
	tsVal, tsEcr uint32
}

// parseSynOptions reads the options of a SYN or SYN-ACK.
func parseSynOptions(os Options) synInfo {
	var si synInfo
	for _, o := range os {
		switch o.Kind {
		case OptMSS:
			si.mss = o.MSS
		case OptWindowScale:
			si.ws, si.shift = true, o.Shift
		case OptSACKPermitted:
			si.sack = true
		case OptTimestamps:
			si.ts, si.tsVal, si.tsEcr = true, o.TSVal, o.TSEcr
		}
	}
	return si
}

// mss536 and mss1460 are option lists that hold nothing but an MSS: they are immutable
// and the same for every SYN-ACK a flood draws.
var (
	mss536  = Options{{Kind: OptMSS, MSS: 536}}
	mss1460 = Options{{Kind: OptMSS, MSS: 1460}}
)

// buildSynOptions lays out the options of a SYN or SYN-ACK in the profile's order.
func buildSynOptions(p *Profile, si synInfo, layout OptionLayout) Options {
	if !si.ts && !si.sack && !si.ws {
		switch si.mss {
		case 536:
			return mss536
		case 1460:
			return mss1460
		}
	}
	nop := Option{Kind: OptNOP}
	mss := Option{Kind: OptMSS, MSS: si.mss}
	ws := Option{Kind: OptWindowScale, Shift: si.shift}
	sack := Option{Kind: OptSACKPermitted}
	ts := Option{Kind: OptTimestamps, TSVal: si.tsVal, TSEcr: si.tsEcr}
	n := 1
	if si.ts {
		n += 3
	} else if si.sack {
		n += 3
	}
	if si.sack && si.ts {
		n--
	}
	if si.ws {
		n += 2
	}
	if layout != LayoutLinux && si.sack && si.ts {
		n += 3
	}
	os := make(Options, 0, n)
	switch layout {
	case LayoutLinux:
		// net/ipv4/tcp_output.c tcp_options_write: MSS; then SACK-permitted packed with
		// the timestamps (or NOP,NOP before them); SACK-permitted alone behind NOP,NOP;
		// window scale behind one NOP.
		os = append(os, mss)
		if si.ts {
			if si.sack {
				os = append(os, sack, ts)
			} else {
				os = append(os, nop, nop, ts)
			}
		} else if si.sack {
			os = append(os, nop, nop, sack)
		}
		if si.ws {
			os = append(os, nop, ws)
		}
	default:
		os = append(os, mss)
		if si.ws {
			os = append(os, nop, ws)
		}
		if si.sack {
			os = append(os, nop, nop, sack)
		}
		if si.ts {
			os = append(os, nop, nop, ts)
		}
	}
	return os
}
