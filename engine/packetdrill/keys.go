package packetdrill

// tooBigFormat is Parse's message for a script over MaxScriptBytes.
const tooBigFormat = "script is %d bytes, more than %d"

// messageKeys names each message of the parser and the runner, by its English format,
// for views that say it in another language: the catalogue (engine/catalog) holds
// "packetdrill."+key in English and Chinese, with the same arguments. The command line
// prints the English Msg as before. keys_test.go checks that every format the parser
// and the runner use is here and in the catalogue, word for word in English.
var messageKeys = map[string]string{
	tooBigFormat: "parse.too-big",
	// The parser.
	"%s needs a number":                                                    "parse.needs-number",
	"[port N] is not closed with ]":                                        "parse.port-unclosed",
	"[tos %s]: want a byte in hex, as [tos 0x10]":                          "parse.bad-tos",
	"a Fast Open cookie is an even number of hex digits":                   "parse.fo-hex",
	"a Fast Open cookie of %d bytes does not fit in the option space (%d)": "parse.fo-size",
	"a packet needs flags and seq:end(len)":                                "parse.packet-needs",
	"a packet with . (ACK) needs ack N":                                    "parse.needs-ack",
	"a port is a number from 1 to 65535":                                   "parse.port-range",
	"a python block needs a time (+0 %%{ ... }%%)":                         "parse.python-time",
	"an event needs a time and something to do":                            "parse.event-needs",
	"an inbound packet needs win N":                                        "parse.needs-win",
	"bad %s value":                                                         "parse.bad-value",
	"bad end of a time range":                                              "parse.bad-range-end",
	"bad end time of a blocking call":                                      "parse.bad-block-end",
	"bad return value":                                                     "parse.bad-return",
	"bad sequence numbers":                                                 "parse.bad-seq",
	"bad time (want 0, 0.100, .1, +.1, *, +0~+.2 or start...end)":          "parse.bad-time",
	"bad value for option %s":                                              "parse.bad-option-value",
	"comment is never closed":                                              "parse.comment-open",
	"empty option":                                                         "parse.empty-option",
	"end - start is %d but the length says %d":                             "parse.len-mismatch",
	"expected = and the return value":                                      "parse.want-return",
	"expected a packet (< or >), a system call, or a block":                "parse.want-event",
	"missing return value":                                                 "parse.no-return",
	"more than %d events":                                                  "parse.too-many-events",
	"nothing may follow the untimed shell command that ends a script":      "parse.after-final-shell",
	"only -1 may carry an errno":                                           "parse.errno",
	"only a system call can block (start...end)":                           "parse.only-syscall-blocks",
	"only one untimed shell command may start a script; give this one a time (+0 `...`)": "parse.one-untimed-shell",
	"only outbound packets may have a time range or *":                                   "parse.range-outbound",
	"option %s needs a value":                             "parse.option-needs-value",
	"option list is not closed with >":                    "parse.options-unclosed",
	"options must come before the first event":            "parse.options-first",
	"python block is never closed":                        "parse.python-open",
	"sack blocks must look like left:right":               "parse.sack",
	"script option must look like --name=value":           "parse.script-option",
	"sequence numbers must look like start:end(length)":   "parse.seq-form",
	"shell block is never closed":                         "parse.shell-open",
	"tcp_ts_tick_usecs must be a number of microseconds":  "parse.ts-tick",
	"tcpi_state assertion must compare with a TCP_ state": "parse.tcpi-state",
	"text after the option list":                          "parse.after-options",
	"timestamps must look like TS val N ecr N":            "parse.ts-form",
	"tolerance_usecs must be a number of microseconds":    "parse.tolerance",
	"unbalanced brackets in the arguments":                "parse.brackets",
	"unbalanced parentheses":                              "parse.parens",
	"unexpected word in a packet line":                    "parse.unexpected-word",
	"unknown flag %q (flags are from .SFRPEWU or -)":      "parse.unknown-flag",
	"unknown option":                                      "parse.unknown-option",
	"unknown system call":                                 "parse.unknown-syscall",
	"want FO, FO <hex cookie> or FOEXP <hex cookie>":      "parse.fo-form",
	"want [port N] to name another peer's port":           "parse.port-form",
	// The runner.
	"%s() blocked; write the call as start...end if it is meant to": "run.blocked",
	"%s() expected = %s, got = %s":                                  "run.syscall-return",
	"%s() expected [%s], got [%s]":                                  "run.syscall-out",
	"%s() is still blocked when the script ends (expected to return at %s; packetdrill needs an event after the return)": "run.still-blocked",
	"%s() returned at %s, expected at %s":                  "run.returned-at",
	"%s() returned at once, expected it to block until %s": "run.returned-at-once",
	"%s(): %v": "run.syscall-error",
	"(tcpi_%s & %#x): expected %s %d, got %d":                          "run.tcpi-mask",
	"event at %s is later than the %s a script may run":                "run.too-late",
	"expected %s at %s, it was sent at %s":                             "run.sent-at",
	"expected %s at %s, nothing was sent":                              "run.nothing-sent",
	"expected %s, got %s: ack differs":                                 "run.ack-differs",
	"expected %s, got %s: flags differ":                                "run.flags-differ",
	"expected %s, got %s: IP ECN field %s, expected [%s]":              "run.ecn-differs",
	"expected %s, got %s: IP TOS %#02x, expected %#02x":                "run.tos-differs",
	"expected %s, got %s: length differs":                              "run.length-differs",
	"expected %s, got %s: sent to port %d":                             "run.port-differs",
	"expected %s, got %s: sent to port %d, the script's peer is at %d": "run.peer-port-differs",
	"expected %s, got %s: sequence number differs":                     "run.seq-differs",
	"expected %s, got %s: window differs":                              "run.window-differs",
	"expected options <%s>, got <%s>":                                  "run.options-differ",
	"injecting the packet: %v":                                         "run.inject",
	"outbound TS val %d, expected %d (±%s at a %s tick)":               "run.tsval",
	"poll() expected revents [%s], got [%s]":                           "run.poll",
	"recvmsg() TCP_CM_INQ expected %s, got %s":                         "run.cm-inq",
	"sysctl %s=%s: %v":                                                 "run.sysctl",
	"tcp_info: fd %d is not a socket":                                  "run.tcpinfo-fd",
	"tcpi_%s: expected %s %d, got %d":                                  "run.tcpi",
	"tcpi_state: expected %s, the socket is in %s":                     "run.tcpi-state",
	// Messages of ICMP, MD5 and shell support (issue 21).
	"an ICMP packet needs a type (unreachable, time_exceeded ...)": "parse.icmp-type",
	"an MD5 signature is 16 bytes, 32 hex digits":                  "parse.md5-size",
	"bad mtu":            "parse.bad-mtu",
	"mtu needs a number": "parse.mtu-number",
	"only inbound ICMP packets are supported":            "parse.icmp-inbound",
	"the echoed segment must look like [start:end(len)]": "parse.icmp-echoed",
	"unknown ICMP code":                                  "parse.icmp-code",
	"unknown ICMP type":                                  "parse.icmp-type-unknown",
	"want md5 <32 hex digits>":                           "parse.md5-form",
	"urg needs a number":                                 "parse.urg-number",
	"bad urg value":                                      "parse.bad-urg",
	"injecting the ICMP packet: %v":                      "run.inject-icmp",
	"not modelled: %v":                                   "run.not-modelled",
	"not modelled: ICMP packets on this stack":           "run.no-icmp",
	"shell command exited with status %d: %s":            "run.shell-status",
}

// keyed reports the key and arguments of a message that only passes another on
// ("%v" of an error that has its own key).
func keyed(format string, args []any) (*failure, bool) {
	if format != "%v" || len(args) != 1 {
		return nil, false
	}
	switch e := args[0].(type) {
	case *failure:
		return e, e.key != ""
	case *ParseError:
		return &failure{key: e.Key, args: e.Args}, e.Key != ""
	}
	return nil, false
}
