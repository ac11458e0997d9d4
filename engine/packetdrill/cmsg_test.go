package packetdrill

import (
	"strings"
	"testing"
	"time"

	"synack/engine/tcp"
)

// A recvmsg's expected control messages are read as packetdrill writes them (here as
// google/packetdrill's timestamping/server.pkt does, with run_all.py's -D names
// substituted) and compared as its cmsg_expect_eq compares them.
func TestCmsgs(t *testing.T) {
	const msg = `{msg_name(...)=..., msg_iov(1)=[{...,0}], msg_flags=MSG_ERRQUEUE|MSG_TRUNC,
	  msg_control=[
		{cmsg_level=SOL_SOCKET, cmsg_type=SCM_TIMESTAMPING, cmsg_data={scm_sec=0,scm_nsec=10000000}},
		{cmsg_level=SOL_IP, cmsg_type=IP_RECVERR,
		 cmsg_data={ee_errno=ENOMSG, ee_origin=SO_EE_ORIGIN_TIMESTAMPING, ee_type=0, ee_code=0,
			    ee_info=SCM_TSTAMP_SCHED, ee_data=1999}}
	  ]}`
	want, ok, err := scriptCmsgs(msg)
	if err != nil || !ok || len(want) != 2 {
		t.Fatalf("scriptCmsgs = %v, %v, %v; want two", want, ok, err)
	}
	ts := func(usec int64) tcp.Cmsg {
		return tcp.Cmsg{Level: "SOL_SOCKET", Type: "SCM_TIMESTAMPING", Fields: map[string]int64{"scm_usec": usec}}
	}
	ee := func(info, data int64) tcp.Cmsg {
		return tcp.Cmsg{Level: "SOL_IP", Type: "IP_RECVERR", Fields: map[string]int64{
			"ee_errno": 42, "ee_origin": 4, "ee_type": 0, "ee_code": 0, "ee_info": info, "ee_data": data}}
	}
	for name, tc := range map[string]struct {
		got []tcp.Cmsg
		err string
	}{
		"equal":         {[]tcp.Cmsg{ts(10000), ee(1, 1999)}, ""},
		"at tolerance":  {[]tcp.Cmsg{ts(14000), ee(1, 1999)}, ""},
		"past it":       {[]tcp.Cmsg{ts(14001), ee(1, 1999)}, "timestamp"},
		"other info":    {[]tcp.Cmsg{ts(10000), ee(0, 1999)}, "ee_info expected 1, got 0"},
		"other data":    {[]tcp.Cmsg{ts(10000), ee(1, 3999)}, "ee_data expected 1999, got 3999"},
		"one missing":   {[]tcp.Cmsg{ts(10000)}, "received only 1 cmsgs"},
		"one more":      {[]tcp.Cmsg{ts(10000), ee(1, 1999), ts(1)}, "received more than 2 cmsgs"},
		"order swapped": {[]tcp.Cmsg{ee(1, 1999), ts(10000)}, "cmsg 0: expected SOL_SOCKET/SCM_TIMESTAMPING"},
	} {
		err := checkCmsgs(want, tc.got, 4*time.Millisecond)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: checkCmsgs = %v, want %q", name, err, tc.err)
		}
	}
	// A zero timestamp is not compared (scm_timestamping_expect_eq skips it).
	zero, _, _ := scriptCmsgs("msg_control=[{cmsg_level=SOL_SOCKET, cmsg_type=SCM_TIMESTAMPING, cmsg_data={scm_sec=0,scm_nsec=0}}]")
	if err := checkCmsgs(zero, []tcp.Cmsg{ts(123456)}, 4*time.Millisecond); err != nil {
		t.Errorf("a zero timestamp was compared: %v", err)
	}
	if _, _, err := scriptCmsgs("msg_control=[{cmsg_level=SOL_IP, cmsg_type=IP_RECVERR, cmsg_data={ee_errno=EWHAT}}]"); err == nil {
		t.Error("an unknown name in a control message was taken")
	}
	for _, tc := range []struct {
		flags int
		ret   int64
		ok    bool
	}{{0x2020, 0, true}, {0x2000, 0, false}, {0, -1, true}} {
		err := checkMsgFlags(msg, tcp.Result{Ret: tc.ret, MsgFlags: tc.flags})
		if (err == nil) != tc.ok {
			t.Errorf("checkMsgFlags(%#x, ret %d) = %v, want ok %v", tc.flags, tc.ret, err, tc.ok)
		}
	}
}
