package engine

// testStories names the engine's TCP stories for its own tests: the golden traces in
// testdata/golden are kept under these names. The product's catalogue (lessons/stories)
// gives the same stories the same ids, and its test checks that every golden file here
// has a story of that id there.
var testStories = []struct {
	id    string
	story Story
}{
	{"three-way-handshake", ThreeWayHandshake},
	{"data-on-third-ack", DataOnThirdACK},
	{"tcp-fast-open", TCPFastOpen},
	{"syn-ack-lost", SYNACKLost},
	{"old-duplicate-syn", OldDuplicateSYN},
	{"simultaneous-open", SimultaneousOpen},
	{"four-way-close", FourWayClose},
	{"three-way-close", ThreeWayClose},
	{"half-close", HalfClose},
	{"simultaneous-close", SimultaneousClose},
	{"lost-final-ack", LostFinalACK},
	{"orphan-fin-wait-2", OrphanFinWait2},
	{"syn-to-closed-port", SYNToClosedPort},
	{"connect-timeout", ConnectTimeout},
	{"abort-rst", AbortRST},
	{"syn-flood", SYNFlood},
	{"syn-cookies", SYNCookies},
	{"bulk-transfer", BulkTransfer},
	{"sack-recovery", SACKRecovery},
	{"tail-loss-probe", TailLossProbe},
	{"rto-backoff", RTOBackoff},
	{"zero-window", ZeroWindow},
	{"nagle-delayed-ack", NagleDelayedACK},
}
