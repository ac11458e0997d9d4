package packetdrill

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"synack/engine/tcp"
)

// The control messages a script's recvmsg expects (msg_control=[{cmsg_level=...,
// cmsg_type=..., cmsg_data=...}, ...]), compared as packetdrill compares them
// (cmsg_expect_eq): the same number, in order, each of the same level and type; an
// extended error field by field (sock_ee_expect_eq); a timestamp within the tolerance of
// the script time it names (scm_timestamping_expect_eq, which skips a zero one).

// cmsgNames are the numbers of the names a script's control messages use (Linux's).
var cmsgNames = map[string]int64{
	"ENOMSG": 42, "SO_EE_ORIGIN_NONE": 0, "SO_EE_ORIGIN_LOCAL": 1, "SO_EE_ORIGIN_ICMP": 2,
	"SO_EE_ORIGIN_ICMP6": 3, "SO_EE_ORIGIN_TIMESTAMPING": 4, "SO_EE_ORIGIN_TXSTATUS": 4,
	"SO_EE_ORIGIN_ZEROCOPY": 5, "SO_EE_ORIGIN_TXTIME": 6, "SO_EE_CODE_ZEROCOPY_COPIED": 1,
	"SCM_TSTAMP_SND": 0, "SCM_TSTAMP_SCHED": 1, "SCM_TSTAMP_ACK": 2,
}

// scriptCmsgs reads the control messages a recvmsg's message expects; ok is false when
// it names none.
func scriptCmsgs(msg string) (out []tcp.Cmsg, ok bool, err error) {
	_, list, found := strings.Cut(msg, "msg_control=[")
	if !found {
		return nil, false, nil
	}
	depth, start := 0, -1
	for i, c := range list {
		switch c {
		case '{':
			if depth == 0 {
				start = i + 1
			}
			depth++
		case '}':
			depth--
			if depth == 0 {
				m, err := scriptCmsg(list[start:i])
				if err != nil {
					return nil, true, err
				}
				out = append(out, m)
			}
		case ']':
			if depth == 0 {
				return out, true, nil
			}
		}
	}
	return nil, true, fmt.Errorf("msg_control is not closed with ]")
}

// scriptCmsg reads cmsg_level=L, cmsg_type=T, cmsg_data=D.
func scriptCmsg(s string) (tcp.Cmsg, error) {
	m := tcp.Cmsg{Fields: map[string]int64{}}
	for _, kv := range splitTop(s) {
		k, v, _ := strings.Cut(kv, "=")
		switch k, v = strings.TrimSpace(k), strings.TrimSpace(v); k {
		case "cmsg_level":
			m.Level = v
		case "cmsg_type":
			m.Type = v
		case "cmsg_data":
			if !strings.HasPrefix(v, "{") {
				n, err := cmsgValue(v)
				if err != nil {
					return m, err
				}
				m.Fields["value"] = n
				continue
			}
			for _, f := range splitTop(strings.TrimSuffix(strings.TrimPrefix(v, "{"), "}")) {
				fk, fv, _ := strings.Cut(f, "=")
				n, err := cmsgValue(strings.TrimSpace(fv))
				if err != nil {
					return m, err
				}
				m.Fields[strings.TrimSpace(fk)] = n
			}
		}
	}
	if sec, ok := m.Fields["scm_sec"]; ok {
		m.Fields["scm_usec"] = sec*1e6 + m.Fields["scm_nsec"]/1e3
		delete(m.Fields, "scm_sec")
		delete(m.Fields, "scm_nsec")
	}
	return m, nil
}

// cmsgValue reads a number or one of cmsgNames.
func cmsgValue(v string) (int64, error) {
	if n, ok := cmsgNames[v]; ok {
		return n, nil
	}
	n, err := strconv.ParseInt(v, 0, 64)
	if err != nil {
		return 0, fmt.Errorf("control message value %q is neither a number nor a name the runner knows", v)
	}
	return n, nil
}

// splitTop splits at the commas outside braces.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '{':
			depth++
		case '}':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// msgFlagValues are the message flags a recvmsg's msg_flags may name (Linux's).
var msgFlagValues = map[string]int{"MSG_OOB": 0x1, "MSG_PEEK": 0x2, "MSG_CTRUNC": 0x8, "MSG_TRUNC": 0x20,
	"MSG_DONTWAIT": 0x40, "MSG_EOR": 0x80, "MSG_WAITALL": 0x100, "MSG_ERRQUEUE": 0x2000}

// checkMsgFlags compares the flags a successful recvmsg returned with the msg_flags the
// script wrote (packetdrill compares them after the call; a call that failed leaves
// them as they were).
func checkMsgFlags(msg string, res tcp.Result) error {
	_, v, ok := strings.Cut(msg, "msg_flags=")
	if !ok || res.Ret < 0 {
		return nil
	}
	v, _, _ = strings.Cut(v, ",")
	want := 0
	for _, f := range strings.Split(strings.TrimSpace(v), "|") {
		f = strings.TrimSpace(f)
		if n, err := strconv.ParseInt(f, 0, 32); err == nil {
			want |= int(n)
			continue
		}
		n, ok := msgFlagValues[f]
		if !ok {
			return fmt.Errorf("msg_flags %s is not a flag the runner knows", f)
		}
		want |= n
	}
	if res.MsgFlags != want {
		return fmt.Errorf("msg_flags expected %#x, got %#x", want, res.MsgFlags)
	}
	return nil
}

// checkCmsgs compares what a recvmsg returned with what the script expects.
func checkCmsgs(want, got []tcp.Cmsg, tol time.Duration) error {
	for i, w := range want {
		if i >= len(got) {
			return fmt.Errorf("received only %d cmsgs", i)
		}
		g := got[i]
		if g.Level != w.Level || g.Type != w.Type {
			return fmt.Errorf("cmsg %d: expected %s/%s, got %s/%s", i, w.Level, w.Type, g.Level, g.Type)
		}
		for _, k := range []string{"ee_errno", "ee_origin", "ee_type", "ee_code", "ee_info", "ee_data", "value"} {
			if wv, ok := w.Fields[k]; ok && g.Fields[k] != wv {
				return fmt.Errorf("cmsg %d: %s expected %d, got %d", i, k, wv, g.Fields[k])
			}
		}
		if wu, ok := w.Fields["scm_usec"]; ok && wu != 0 {
			if d := time.Duration(abs(g.Fields["scm_usec"]-wu)) * time.Microsecond; d > tol {
				return fmt.Errorf("cmsg %d: timestamp at %s, expected %s (±%s)", i, fmtDur(time.Duration(g.Fields["scm_usec"])*time.Microsecond), fmtDur(time.Duration(wu)*time.Microsecond), tol)
			}
		}
	}
	if len(got) > len(want) {
		return fmt.Errorf("received more than %d cmsgs", len(want))
	}
	return nil
}
