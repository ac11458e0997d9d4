package traffic

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"synack/engine/passive"
	"synack/engine/tcp"
)

// A kernel built without netem (tc qdisc … netem: "unknown qdisc") can still lose and
// reorder real packets: two network namespaces joined by a tun device each, and this
// test's own relay between the two tun file descriptors. It delays every packet as a
// link would, loses some of the server's data segments and holds others back until a
// few later ones have passed, so the kernels on both sides see real loss (gaps,
// duplicate ACKs, retransmissions) and real reordering.

// The relay's impairments, on the server-to-client direction only.
const (
	relayDelay    = 5 * time.Millisecond // each way: tshark's out-of-order test compares with the first RTT
	relayLoss     = 0.02                 // of data segments
	relayReorder  = 0.03                 // of data segments, held back …
	relayHoldBack = 3                    // … until this many later packets have passed
	relaySeed     = 26                   // the relay's choices are the same every run
)

// tunIn opens a tun device named name inside network namespace ns, from a thread that
// enters ns and comes back: the device lives in ns, the file here.
func tunIn(t *testing.T, ns, name string) *os.File {
	t.Helper()
	type res struct {
		f   *os.File
		err error
	}
	ch := make(chan res, 1)
	go func() {
		runtime.LockOSThread()
		back, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			ch <- res{err: err}
			return // the thread is not unlocked: the runtime discards it
		}
		defer back.Close()
		target, err := os.Open("/run/netns/" + ns)
		if err != nil {
			ch <- res{err: err}
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- res{err: fmt.Errorf("setns %s: %w", ns, err)}
			return
		}
		fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
		if err == nil {
			ifr, _ := unix.NewIfreq(name)
			ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
			if err = unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
				unix.Close(fd)
			}
		}
		if serr := unix.Setns(int(back.Fd()), unix.CLONE_NEWNET); serr != nil {
			ch <- res{err: fmt.Errorf("setns back: %w", serr)}
			return // still in ns: the thread must not run anything else
		}
		runtime.UnlockOSThread()
		if err != nil {
			ch <- res{err: fmt.Errorf("tun %s in %s: %w", name, ns, err)}
			return
		}
		ch <- res{f: os.NewFile(uintptr(fd), name)}
	}()
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() { r.f.Close() })
	return r.f
}

// listenIn listens on addr inside network namespace ns.
func listenIn(t *testing.T, ns, addr string) net.Listener {
	t.Helper()
	type res struct {
		ln  net.Listener
		err error
	}
	ch := make(chan res, 1)
	go func() {
		runtime.LockOSThread()
		back, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			ch <- res{err: err}
			return
		}
		defer back.Close()
		target, err := os.Open("/run/netns/" + ns)
		if err != nil {
			ch <- res{err: err}
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- res{err: err}
			return
		}
		ln, lerr := net.Listen("tcp4", addr)
		if err := unix.Setns(int(back.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- res{err: err}
			return
		}
		runtime.UnlockOSThread()
		ch <- res{ln, lerr}
	}()
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.ln
}

// relayStats counts what the relay did.
type relayStats struct {
	mu                     sync.Mutex
	passed, lost, heldBack int
}

// delayLine forwards packets to out, each relayDelay after it entered, in order.
type delayLine struct {
	out *os.File
	in  chan timed
}

type timed struct {
	pkt []byte
	due time.Time
}

func newDelayLine(out *os.File) *delayLine {
	d := &delayLine{out: out, in: make(chan timed, 4096)}
	go func() {
		t := time.NewTimer(0)
		<-t.C
		for p := range d.in {
			if w := time.Until(p.due); w > 0 {
				t.Reset(w) // the link's latency
				<-t.C
			}
			d.out.Write(p.pkt)
		}
	}()
	return d
}

func (d *delayLine) send(pkt []byte) {
	select {
	case d.in <- timed{pkt, time.Now().Add(relayDelay)}:
	default: // a full line loses the packet, as a full queue does
	}
}

// relay copies packets from in to out through a delay line; when impair is set, it
// loses and holds back some TCP data segments.
func relay(in, out *os.File, impair bool, st *relayStats) {
	line := newDelayLine(out)
	defer close(line.in)
	rng := rand.New(rand.NewPCG(relaySeed, 0))
	var held [][]byte
	var heldFor []int
	buf := make([]byte, 65536)
	for {
		n, err := in.Read(buf)
		if err != nil {
			return // closed at the test's end
		}
		pkt := append([]byte(nil), buf[:n]...)
		data := false
		if n >= 40 && pkt[0]>>4 == 4 && pkt[9] == 6 {
			ihl := int(pkt[0]&15) * 4
			tot := int(pkt[2])<<8 | int(pkt[3])
			if n >= ihl+20 {
				doff := int(pkt[ihl+12]>>4) * 4
				flags := pkt[ihl+13]
				data = tot-ihl-doff > 0 && flags&0x07 == 0 // payload, no SYN, FIN or RST
			}
		}
		st.mu.Lock()
		switch {
		case impair && data && rng.Float64() < relayLoss:
			st.lost++
			st.mu.Unlock()
			continue
		case impair && data && len(held) == 0 && rng.Float64() < relayReorder:
			held, heldFor = append(held, pkt), append(heldFor, relayHoldBack)
			st.heldBack++
			st.mu.Unlock()
			continue
		}
		st.passed++
		st.mu.Unlock()
		line.send(pkt)
		for i := 0; i < len(held); i++ {
			if heldFor[i]--; heldFor[i] <= 0 {
				line.send(held[i]) // overtaken by the packets that passed meanwhile
				held, heldFor = append(held[:i], held[i+1:]...), append(heldFor[:i], heldFor[i+1:]...)
				i--
			}
		}
	}
}

// TestRelayLossAndReorder downloads over the relay (no netem needed) and captures at
// the receiving end: losses and reordering made by the relay must come out as tshark
// flags them, on ≥ 99 % of frames.
func TestRelayLossAndReorder(t *testing.T) {
	if testing.Short() {
		t.Skip("records real traffic: not in -short")
	}
	need(t, "tcpdump", "tshark", "editcap", "curl", "ip")
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		t.Skipf("no /dev/net/tun: %v", err)
	}
	id := os.Getpid() % 10000
	nsC, nsS := fmt.Sprintf("synack-rc-%d", id), fmt.Sprintf("synack-rs-%d", id)
	subnet := fmt.Sprintf("10.%d.%d", 200+id/250%50, id%250)
	cAddr, sAddr := subnet+".1", subnet+".2"
	for _, ns := range []string{nsC, nsS} {
		sh(t, "ip", "netns", "add", ns)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
		sh(t, "ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
	}
	tunC, tunS := tunIn(t, nsC, "sarelay0"), tunIn(t, nsS, "sarelay0")
	// Each end is a point-to-point link to the other's address.
	sh(t, "ip", "netns", "exec", nsC, "ip", "addr", "add", cAddr, "peer", sAddr, "dev", "sarelay0")
	sh(t, "ip", "netns", "exec", nsS, "ip", "addr", "add", sAddr, "peer", cAddr, "dev", "sarelay0")
	for _, ns := range []string{nsC, nsS} {
		sh(t, "ip", "netns", "exec", ns, "ip", "link", "set", "sarelay0", "up")
	}
	var st relayStats
	go relay(tunC, tunS, false, &st) // the client's packets: delayed only
	go relay(tunS, tunC, true, &st)  // the server's: delayed, lost, reordered

	big := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
	ln := listenIn(t, nsS, sAddr+":0")
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, big) })}
	go srv.Serve(ln)
	defer srv.Close()
	webPort := port(ln.Addr())

	s := startCapture(t, []string{"ip", "netns", "exec", nsC}, "sarelay0", fmt.Sprintf("tcp and port %d", webPort))
	for range 2 {
		out, err := exec.Command("ip", "netns", "exec", nsC, "curl", "-s", "-o", "/dev/null", "-w", "%{size_download}", "--max-time", "60",
			fmt.Sprintf("http://%s:%d/", sAddr, webPort)).CombinedOutput()
		if err != nil || string(out) != fmt.Sprint(len(big)) {
			t.Fatalf("curl over the relay: %v %s", err, out)
		}
	}
	// Both connections are closing: their FINs are in the capture before it stops.
	finFrom := map[uint16]bool{}
	s.waitFor(t, "both connections' FIN", func(p seen) bool {
		if p.dport == webPort && p.flags&tcp.FIN != 0 {
			finFrom[p.sport] = true
		}
		return len(finFrom) >= 2
	})
	file := s.stop(t)
	st.mu.Lock()
	t.Logf("relay: %d packets passed, %d data segments lost, %d held back", st.passed, st.lost, st.heldBack)
	st.mu.Unlock()
	agree(t, file, passive.Retransmission, passive.DuplicateACK, passive.LostSegment, passive.OutOfOrder)
	sameAsOtherForms(t, file)
}
