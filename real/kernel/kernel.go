//go:build linux

// Package kernel runs packetdrill scripts against this machine's Linux kernel, the way
// packetdrill does: in a fresh network namespace of its own, with a tun device standing
// for the script's peer. The script's "<" segments are written to the tun with
// engine/wire's encoder, the kernel's segments are read back with its decoder, and the
// socket calls are made with real sockets. Nothing touches the host's namespace: the
// namespace is created on one locked OS thread, every socket and the tun are created from
// that thread, and the thread is never returned to the scheduler.
package kernel

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"synack/engine/packetdrill"
	"synack/engine/tcp"
	"synack/engine/wire"
)

// ErrNoPrivilege is returned when the kernel runner cannot run here: not root, no
// /dev/net/tun, or no permission to make a network namespace.
var ErrNoPrivilege = errors.New("the kernel runner needs root, /dev/net/tun and a private network namespace")

// tunName is the device's name inside the private namespace: tun0, as packetdrill names
// it, so the tc commands of its scripts and defaults.sh find it.
const tunName = "tun0"

// vnetHdrLen is the virtio_net_hdr in front of every packet on the tun (IFF_VNET_HDR).
const vnetHdrLen = 10

// tunOffload are the offloads packetdrill sets on its tun (netdev.c,
// set_device_offload_flags: "like a typical ethernet device"): checksum and TCP
// segmentation offload, so the kernel hands over a write as one large segment.
const tunOffload = unix.TUN_F_CSUM | unix.TUN_F_TSO4 | unix.TUN_F_TSO6 | unix.TUN_F_TSO_ECN

// Run plays a script against the kernel in a private network namespace.
func Run(ctx context.Context, s *packetdrill.Script) (packetdrill.Result, error) {
	if os.Geteuid() != 0 {
		return packetdrill.Result{}, fmt.Errorf("%w: not running as root", ErrNoPrivilege)
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		return packetdrill.Result{}, fmt.Errorf("%w: %v", ErrNoPrivilege, err)
	}
	type out struct {
		res packetdrill.Result
		err error
	}
	ch := make(chan out, 1)
	go func() {
		// This goroutine's thread enters the new namespace and never leaves it: it is not
		// unlocked, so the runtime discards the thread when the goroutine ends.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			ch <- out{err: fmt.Errorf("%w: unshare: %v", ErrNoPrivilege, err)}
			return
		}
		st, err := newStack(s.Addrs())
		if err != nil {
			ch <- out{err: err}
			return
		}
		res := packetdrill.Run(s, st)
		st.Close()
		ch <- out{res: res}
	}()
	select {
	case o := <-ch:
		return o.res, o.err
	case <-ctx.Done():
		return packetdrill.Result{}, ctx.Err()
	}
}

type rx struct {
	at  time.Duration
	seg tcp.Segment
}

type stack struct {
	// start is when the stack was made; zero, how long after it the script's clock
	// started (StartClock), read by the reader and the blocking calls' goroutines.
	start time.Time
	zero  atomic.Int64
	tun   *os.File
	pkts  chan rx
	dones chan packetdrill.Done
	fds   map[int]int // script fd → real fd
	next  int
	mu    sync.Mutex
	wg    sync.WaitGroup
	stop  chan struct{}
	// shadowed are live sockets whose script number a newer socket took (a script may
	// reuse a number still open, as in packetdrill): kept open, closed at the end.
	shadowed []int
	// local and remote are the script's addresses (packetdrill.LocalAddr and RemoteAddr
	// unless it sets --local_ip or --remote_ip).
	local, remote netip.Addr
}

func ifreqUp(sock int, name string) error {
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(sock, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP | unix.IFF_RUNNING)
	return unix.IoctlIfreq(sock, unix.SIOCSIFFLAGS, ifr)
}

func newStack(local, remote netip.Addr) (*stack, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoPrivilege, err)
	}
	ifr, _ := unix.NewIfreq(tunName)
	ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI | unix.IFF_VNET_HDR)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("%w: TUNSETIFF: %v", ErrNoPrivilege, err)
	}
	if err := unix.IoctlSetInt(fd, unix.TUNSETOFFLOAD, tunOffload); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("TUNSETOFFLOAD: %v", err)
	}
	sock, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(sock)
	// The stack under test is 198.51.100.1 (or the script's --local_ip); the tun is a
	// point-to-point link to 192.0.2.1 (or its --remote_ip).
	for _, step := range []struct {
		req  uint
		addr [4]byte
	}{
		{unix.SIOCSIFADDR, local.As4()},
		{unix.SIOCSIFDSTADDR, remote.As4()},
	} {
		r, _ := unix.NewIfreq(tunName)
		if err := r.SetInet4Addr(step.addr[:]); err != nil {
			return nil, err
		}
		if err := unix.IoctlIfreq(sock, step.req, r); err != nil {
			return nil, fmt.Errorf("configuring %s: %v", tunName, err)
		}
	}
	for _, name := range []string{"lo", tunName} {
		if err := ifreqUp(sock, name); err != nil {
			return nil, fmt.Errorf("bringing %s up: %v", name, err)
		}
	}
	writeSysctl("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1")
	unix.SetNonblock(fd, true)
	st := &stack{start: time.Now(), tun: os.NewFile(uintptr(fd), tunName), pkts: make(chan rx, 1024),
		dones: make(chan packetdrill.Done, 64), fds: map[int]int{}, next: 3, stop: make(chan struct{}), local: local, remote: remote}
	st.wg.Add(1)
	go st.reader()
	return st, nil
}

func writeSysctl(path, v string) error { return os.WriteFile(path, []byte(v), 0o644) }

func (s *stack) now() time.Duration { return s.since(time.Now()) }

// since is the script time of the moment at.
func (s *stack) since(at time.Time) time.Duration {
	return at.Sub(s.start) - time.Duration(s.zero.Load())
}

// StartClock makes now the script's time zero, once its init command has run.
func (s *stack) StartClock() { s.zero.Store(int64(time.Since(s.start))) }

// Now returns the time since the script started.
func (s *stack) Now() time.Duration { return s.now() }

func (s *stack) reader() {
	defer s.wg.Done()
	buf := make([]byte, vnetHdrLen+65536)
	for {
		n, err := s.tun.Read(buf)
		if err != nil {
			return
		}
		if n <= vnetHdrLen {
			continue
		}
		pkt := buf[vnetHdrLen:n]
		if buf[0]&1 != 0 { // VIRTIO_NET_HDR_F_NEEDS_CSUM: the kernel left the checksum to the device
			fillChecksum(pkt, int(binary.LittleEndian.Uint16(buf[6:])), int(binary.LittleEndian.Uint16(buf[8:])))
		}
		seg, err := wire.Decode(pkt)
		if err != nil || seg.UDP || seg.Dst != s.remote {
			continue // IPv6, UDP, anything not from the stack to the peer
		}
		select {
		case s.pkts <- rx{at: s.now(), seg: seg}:
		case <-s.stop:
			return
		}
	}
}

func (s *stack) sleepUntil(t time.Duration) {
	if d := t - s.now(); d > 0 {
		time.Sleep(d)
	}
}

// Tune writes a sysctl in the private namespace (it has its own copies of the TCP ones).
func (s *stack) Tune(name, value string) (bool, error) {
	if mod, param, ok := strings.Cut(name, "."); ok {
		// A module parameter (tcp_cubic.hystart_detect): the host's, not the
		// namespace's, as it is under packetdrill.
		path := "/sys/module/" + mod + "/parameters/" + param
		if _, err := os.Stat(path); err != nil {
			return false, nil
		}
		return true, writeSysctl(path, value)
	}
	for _, dir := range []string{"/proc/sys/net/ipv4/", "/proc/sys/net/core/"} {
		path := dir + name
		if _, err := os.Stat(path); err == nil {
			return true, writeSysctl(path, value)
		}
	}
	return false, nil
}

// Until waits in real time.
func (s *stack) Until(t time.Duration, stopOnSend bool) ([]packetdrill.Sent, []packetdrill.Done, error) {
	var sent []packetdrill.Sent
	var done []packetdrill.Done
	for {
		d := t - s.now()
		if d < 0 {
			d = 0
		}
		timer := time.NewTimer(d)
		select {
		case p := <-s.pkts:
			timer.Stop()
			sent = append(sent, packetdrill.Sent{At: p.at, Seg: p.seg})
			if stopOnSend {
				return sent, s.drainDone(done), nil
			}
			continue
		case dn := <-s.dones:
			timer.Stop()
			done = append(done, dn)
			continue
		case <-timer.C:
		}
		// Take whatever arrived at the deadline too.
		for {
			select {
			case p := <-s.pkts:
				sent = append(sent, packetdrill.Sent{At: p.at, Seg: p.seg})
				continue
			default:
			}
			break
		}
		return sent, s.drainDone(done), nil
	}
}

func (s *stack) drainDone(done []packetdrill.Done) []packetdrill.Done {
	for {
		select {
		case d := <-s.dones:
			done = append(done, d)
		default:
			return done
		}
	}
}

// Inject writes the peer's segment to the tun at time t.
func (s *stack) Inject(t time.Duration, seg tcp.Segment) error {
	s.sleepUntil(t)
	// A zero virtio_net_hdr: no offload asked for the injected segment.
	_, err := s.tun.Write(append(make([]byte, vnetHdrLen), wire.Encode(seg)...))
	return err
}

var linuxStates = map[uint8]tcp.State{1: tcp.Established, 2: tcp.SynSent, 3: tcp.SynReceived,
	4: tcp.FinWait1, 5: tcp.FinWait2, 6: tcp.TimeWait, 7: tcp.Closed, 8: tcp.CloseWait,
	9: tcp.LastAck, 10: tcp.Listen, 11: tcp.Closing}

// Info reads tcp_info.
func (s *stack) Info(fd int) (map[string]int64, bool) {
	s.mu.Lock()
	real, ok := s.fds[fd]
	s.mu.Unlock()
	if !ok {
		return nil, false
	}
	info, err := unix.GetsockoptTCPInfo(real, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return nil, false
	}
	st, ok := linuxStates[info.State]
	if !ok {
		return nil, false
	}
	return map[string]int64{"state": int64(st), "ca_state": int64(info.Ca_state),
		"retransmits": int64(info.Retransmits), "probes": int64(info.Probes), "backoff": int64(info.Backoff),
		"options": int64(info.Options),
		"rto":     int64(info.Rto), "ato": int64(info.Ato), "snd_mss": int64(info.Snd_mss), "rcv_mss": int64(info.Rcv_mss),
		"unacked": int64(info.Unacked), "sacked": int64(info.Sacked), "lost": int64(info.Lost),
		"retrans": int64(info.Retrans), "last_data_sent": int64(info.Last_data_sent),
		"last_data_recv": int64(info.Last_data_recv), "last_ack_recv": int64(info.Last_ack_recv),
		"pmtu": int64(info.Pmtu), "rcv_ssthresh": int64(info.Rcv_ssthresh), "rtt": int64(info.Rtt),
		"rttvar": int64(info.Rttvar), "snd_ssthresh": int64(info.Snd_ssthresh), "snd_cwnd": int64(info.Snd_cwnd),
		"advmss": int64(info.Advmss), "reordering": int64(info.Reordering), "total_retrans": int64(info.Total_retrans),
		"rwnd_limited": int64(info.Rwnd_limited), "busy_time": int64(info.Busy_time), "bytes_acked": int64(info.Bytes_acked),
		"bytes_received": int64(info.Bytes_received), "segs_out": int64(info.Segs_out), "segs_in": int64(info.Segs_in),
		"notsent_bytes": int64(info.Notsent_bytes), "data_segs_in": int64(info.Data_segs_in),
		"data_segs_out": int64(info.Data_segs_out), "delivered": int64(info.Delivered),
		"bytes_sent": int64(info.Bytes_sent), "bytes_retrans": int64(info.Bytes_retrans),
		"snd_wnd": int64(info.Snd_wnd), "rcv_wnd": int64(info.Rcv_wnd),
		"sndbuf_limited": int64(info.Sndbuf_limited), "reord_seen": int64(info.Reord_seen),
		"fackets": int64(info.Fackets), "last_ack_sent": int64(info.Last_ack_sent),
		"rcv_rtt": int64(info.Rcv_rtt), "rcv_space": int64(info.Rcv_space),
		"pacing_rate": int64(info.Pacing_rate), "max_pacing_rate": int64(info.Max_pacing_rate),
		"min_rtt": int64(info.Min_rtt), "delivery_rate": int64(info.Delivery_rate),
		"delivered_ce": int64(info.Delivered_ce), "dsack_dups": int64(info.Dsack_dups),
		"rcv_ooopack": int64(info.Rcv_ooopack), "total_rto": int64(info.Total_rto),
		"total_rto_recoveries": int64(info.Total_rto_recoveries), "total_rto_time": int64(info.Total_rto_time)}, true
}

// Command runs a script's shell command (tc, ip ...) in the private namespace, as
// packetdrill does with /bin/sh.
func (s *stack) Command(cmd string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "/bin/sh", "-c", cmd).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// mapFD makes script descriptor sfd name the live socket fd; a socket it named before
// stays open until the run ends. The caller holds s.mu.
func (s *stack) mapFD(sfd, fd int) {
	if old, ok := s.fds[sfd]; ok {
		s.shadowed = append(s.shadowed, old)
	}
	s.fds[sfd] = fd
}

// FastOpenCookie computes the cookie the kernel gives the script's peer from the
// namespace's current Fast Open key, as Linux does (engine.FastOpenCookie).
func (s *stack) FastOpenCookie() ([]byte, error) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/tcp_fastopen_key")
	if err != nil {
		return nil, err
	}
	k, err := tcp.ParseFastOpenKey(string(b))
	if err != nil {
		return nil, err
	}
	return tcp.FastOpenCookie(k, s.remote, s.local), nil
}

// Close ends the run: the namespace goes away with its last socket and its thread.
func (s *stack) Close() error {
	close(s.stop)
	s.tun.Close()
	s.mu.Lock()
	for _, fd := range s.shadowed {
		unix.Close(fd)
	}
	for _, fd := range s.fds {
		unix.Close(fd)
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

func errRes(err error) tcp.Result {
	var en unix.Errno
	if errors.As(err, &en) {
		name := unix.ErrnoName(en)
		if en == unix.EOPNOTSUPP {
			name = "EOPNOTSUPP" // the same number as ENOTSUP on Linux; packetdrill's name
		}
		return tcp.Result{Ret: -1, Errno: name}
	}
	return tcp.Result{Ret: -1, Errno: "EIO"}
}

func sockaddr(a [4]byte, port int) *unix.SockaddrInet4 {
	return &unix.SockaddrInet4{Port: port, Addr: a}
}

// async runs a blocking call in the background and reports it to Until.
func (s *stack) async(id int, f func() tcp.Result) (tcp.Result, bool, error) {
	go func() {
		r := f()
		s.dones <- packetdrill.Done{ID: id, At: s.now(), Res: r}
	}()
	return tcp.Result{}, false, nil
}

// SendGrace is how long a blocking write may take and still count as not blocked.
const SendGrace = 20 * time.Millisecond

// asyncGrace runs a call that may block in the background: if it returns within
// SendGrace it is answered at once, otherwise it is reported to Until when it returns.
func (s *stack) asyncGrace(id int, f func() tcp.Result) (tcp.Result, bool, error) {
	ch := make(chan tcp.Result, 1)
	go func() { ch <- f() }()
	t := time.NewTimer(SendGrace)
	defer t.Stop()
	select {
	case r := <-ch:
		return r, true, nil
	case <-t.C:
	}
	go func() {
		r := <-ch
		s.dones <- packetdrill.Done{ID: id, At: s.now(), Res: r}
	}()
	return tcp.Result{}, false, nil
}

// Call makes a real system call at time t.
func (s *stack) Call(t time.Duration, id int, c *tcp.Call, mayBlock bool) (tcp.Result, bool, error) {
	s.sleepUntil(t)
	if c.Op == tcp.OpSocket {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return errRes(err), true, nil
		}
		s.mu.Lock()
		sfd := tcp.PickFD(c.WantFD, &s.next, func(n int) bool { _, ok := s.fds[n]; return ok })
		s.mapFD(sfd, fd)
		s.mu.Unlock()
		return tcp.Result{Ret: int64(sfd)}, true, nil
	}
	if c.Op == tcp.OpPoll {
		return s.poll(id, c)
	}
	if c.Op == tcp.OpEpollCreate || c.Op == tcp.OpEpollCtl || c.Op == tcp.OpEpollWait {
		return s.epoll(id, c)
	}
	sfd := c.FD
	s.mu.Lock()
	fd, ok := s.fds[sfd]
	s.mu.Unlock()
	if !ok {
		return tcp.Result{Ret: -1, Errno: "EBADF"}, true, nil
	}
	nonblock := func() bool {
		fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
		return fl&unix.O_NONBLOCK != 0
	}
	ready := func(ev int16) bool {
		p := []unix.PollFd{{Fd: int32(fd), Events: ev}}
		n, _ := unix.Poll(p, 0)
		return n > 0
	}
	switch c.Op {
	case tcp.OpBind:
		if err := unix.Bind(fd, sockaddr(s.local.As4(), int(c.Port))); err != nil {
			return errRes(err), true, nil
		}
	case tcp.OpListen:
		if err := unix.Listen(fd, c.Backlog); err != nil {
			return errRes(err), true, nil
		}
	case tcp.OpAccept:
		do := func() tcp.Result {
			nfd, _, err := unix.Accept4(fd, unix.SOCK_CLOEXEC)
			if err != nil {
				return errRes(err)
			}
			s.mu.Lock()
			x := tcp.PickFD(c.WantFD, &s.next, func(n int) bool { _, ok := s.fds[n]; return ok })
			s.mapFD(x, nfd)
			s.mu.Unlock()
			return tcp.Result{Ret: int64(x)}
		}
		if nonblock() || ready(unix.POLLIN) {
			return do(), true, nil
		}
		return s.async(id, do)
	case tcp.OpConnect:
		sa := sockaddr(c.Addr.As4(), int(c.Port))
		if v, _ := unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_FASTOPEN_CONNECT); v != 0 && !nonblock() {
			// With TCP_FASTOPEN_CONNECT and a cached cookie, connect() returns 0 at once
			// (tcp_fastopen_defer_connect). Try it without blocking: if the kernel
			// connects in the background, wait for the result as a blocking connect does.
			unix.SetNonblock(fd, true)
			err := unix.Connect(fd, sa)
			unix.SetNonblock(fd, false)
			if err == nil {
				return tcp.Result{}, true, nil
			}
			if !errors.Is(err, unix.EINPROGRESS) {
				return errRes(err), true, nil
			}
			return s.async(id, func() tcp.Result {
				p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
				for {
					if _, err := unix.Poll(p, -1); err == nil || !errors.Is(err, unix.EINTR) {
						break
					}
				}
				if v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR); err == nil && v != 0 {
					return errRes(unix.Errno(v))
				}
				return tcp.Result{}
			})
		}
		if nonblock() {
			if err := unix.Connect(fd, sa); err != nil {
				return errRes(err), true, nil
			}
			return tcp.Result{}, true, nil
		}
		return s.async(id, func() tcp.Result {
			if err := unix.Connect(fd, sa); err != nil {
				return errRes(err)
			}
			return tcp.Result{}
		})
	case tcp.OpSend:
		if c.Iov != nil {
			return s.sendmsg(id, fd, c, nonblock)
		}
		n := c.Size
		flags := int(c.Flags)
		var p unsafe.Pointer
		buf := make([]byte, max(n, 1))
		if !c.NullBuf && n > 0 {
			p = unsafe.Pointer(&buf[0])
		}
		// MSG_FASTOPEN opens the connection, so it needs the peer's address, as
		// packetdrill passes it (a struct sockaddr_in, 16 bytes).
		var sa, salen uintptr
		var rsa unix.RawSockaddrInet4
		if flags&unix.MSG_FASTOPEN != 0 {
			rsa = unix.RawSockaddrInet4{Family: unix.AF_UNSPEC}
			if c.Addr.IsValid() {
				rsa = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: c.Addr.As4()}
				binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&rsa.Port))[:], c.Port)
			}
			sa, salen = uintptr(unsafe.Pointer(&rsa)), unsafe.Sizeof(rsa)
		}
		do := func() tcp.Result {
			m, _, en := unix.Syscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(p), uintptr(n), uintptr(flags|unix.MSG_NOSIGNAL), sa, salen)
			runtime.KeepAlive(buf)
			runtime.KeepAlive(&rsa)
			if en != 0 {
				return errRes(en)
			}
			return tcp.Result{Ret: int64(m)}
		}
		if !nonblock() && flags&unix.MSG_DONTWAIT == 0 {
			// A blocking Fast Open send, or a write on a socket still in SYN-SENT (a
			// deferred TCP_FASTOPEN_CONNECT), waits for the handshake.
			info, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
			if flags&unix.MSG_FASTOPEN != 0 || err == nil && info.State == unix.BPF_TCP_SYN_SENT {
				return s.async(id, do)
			}
			// A blocking write may wait for room in the send buffer: it must not hold
			// up the script, whose later lines bring the ACKs that free the room. One
			// written as blocking (start...end) goes to the background at once, as
			// packetdrill's does, so the next line counts from its start.
			if mayBlock {
				return s.async(id, do)
			}
			return s.asyncGrace(id, do)
		}
		return do(), true, nil
	case tcp.OpRecv:
		if c.Iov != nil {
			return s.recvmsg(id, fd, c, nonblock, ready)
		}
		n := c.Size
		flags := int(c.Flags)
		null := c.NullBuf
		do := func() tcp.Result {
			var p unsafe.Pointer
			buf := make([]byte, max(n, 1))
			if !null {
				p = unsafe.Pointer(&buf[0])
			}
			m, _, en := unix.Syscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(p), uintptr(n), uintptr(flags), 0, 0)
			runtime.KeepAlive(buf)
			if en != 0 {
				return errRes(en)
			}
			return tcp.Result{Ret: int64(m)}
		}
		if nonblock() || ready(unix.POLLIN|unix.POLLRDHUP) {
			return do(), true, nil
		}
		return s.async(id, do)
	case tcp.OpClose:
		s.mu.Lock()
		delete(s.fds, sfd)
		s.mu.Unlock()
		if err := unix.Close(fd); err != nil {
			return errRes(err), true, nil
		}
	case tcp.OpShutdown:
		if err := unix.Shutdown(fd, c.How); err != nil {
			return errRes(err), true, nil
		}
	case tcp.OpSetsockopt:
		var err error
		switch c.Opt {
		case "SO_LINGER":
			l := &unix.Linger{Linger: int32(c.Val.LingerSecs)}
			if c.Val.LingerOn {
				l.Onoff = 1
			}
			err = unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, l)
		case "TCP_FASTOPEN_KEY":
			if c.Val.BytesErr != "" {
				return tcp.Result{Unmodelled: "setsockopt TCP_FASTOPEN_KEY: " + c.Val.BytesErr}, true, nil
			}
			err = unix.SetsockoptString(fd, unix.IPPROTO_TCP, unix.TCP_FASTOPEN_KEY, string(c.Val.Bytes))
		case "TCP_CONGESTION":
			// A string option: the algorithm's name, as "cubic".
			err = unix.SetsockoptString(fd, unix.IPPROTO_TCP, unix.TCP_CONGESTION, c.Val.Text)
		default:
			o, ok := intOpts[c.Opt]
			if !ok || !c.Val.IsInt {
				return tcp.Result{Unmodelled: "setsockopt " + c.Opt + " not run"}, true, nil
			}
			err = unix.SetsockoptInt(fd, o.level, o.name, c.Val.Int)
		}
		if err != nil {
			return errRes(err), true, nil
		}
	case tcp.OpIoctl:
		req, ok := map[string]uint{"SIOCINQ": unix.SIOCINQ, "FIONREAD": unix.SIOCINQ, "SIOCOUTQ": unix.SIOCOUTQ, "TIOCOUTQ": unix.SIOCOUTQ}[c.Opt]
		if !ok {
			return tcp.Result{Ret: -1, Errno: "EINVAL", Unmodelled: "ioctl " + c.Opt + " not run"}, true, nil
		}
		v, err := unix.IoctlGetInt(fd, req)
		if err != nil {
			return errRes(err), true, nil
		}
		return tcp.Result{Out: strconv.Itoa(v)}, true, nil
	case tcp.OpGetsockopt:
		if o, ok := intOpts[c.Opt]; ok {
			v, err := unix.GetsockoptInt(fd, o.level, o.name)
			if err != nil {
				return errRes(err), true, nil
			}
			return tcp.Result{Out: strconv.Itoa(v)}, true, nil
		}
		if c.Opt == "SO_ERROR" {
			v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
			if err != nil {
				return errRes(err), true, nil
			}
			out := "0"
			if v != 0 {
				out = unix.ErrnoName(unix.Errno(v))
			}
			return tcp.Result{Out: out}, true, nil
		}
	case tcp.OpFcntl:
		switch c.Opt {
		case "F_GETFL":
			fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
			if err != nil {
				return errRes(err), true, nil
			}
			return tcp.Result{Ret: int64(fl & (unix.O_ACCMODE | unix.O_NONBLOCK))}, true, nil
		case "F_SETFL":
			if err := unix.SetNonblock(fd, c.Val.NonBlock); err != nil {
				return errRes(err), true, nil
			}
		}
	default:
		return tcp.Result{Ret: -1, Errno: "ENOSYS"}, true, nil
	}
	return tcp.Result{}, true, nil
}

type sockOpt struct{ level, name int }

// intOpts are the integer socket options a script may set or read.
var intOpts = map[string]sockOpt{
	"SO_REUSEADDR": {unix.SOL_SOCKET, unix.SO_REUSEADDR}, "SO_REUSEPORT": {unix.SOL_SOCKET, unix.SO_REUSEPORT},
	"SO_KEEPALIVE": {unix.SOL_SOCKET, unix.SO_KEEPALIVE}, "SO_RCVBUF": {unix.SOL_SOCKET, unix.SO_RCVBUF},
	"SO_SNDBUF": {unix.SOL_SOCKET, unix.SO_SNDBUF}, "SO_RCVLOWAT": {unix.SOL_SOCKET, unix.SO_RCVLOWAT},
	"TCP_NODELAY": {unix.IPPROTO_TCP, unix.TCP_NODELAY}, "TCP_MAXSEG": {unix.IPPROTO_TCP, unix.TCP_MAXSEG},
	"TCP_CORK": {unix.IPPROTO_TCP, unix.TCP_CORK}, "TCP_USER_TIMEOUT": {unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT},
	"TCP_KEEPIDLE": {unix.IPPROTO_TCP, unix.TCP_KEEPIDLE}, "TCP_KEEPINTVL": {unix.IPPROTO_TCP, unix.TCP_KEEPINTVL},
	"TCP_KEEPCNT": {unix.IPPROTO_TCP, unix.TCP_KEEPCNT}, "TCP_QUICKACK": {unix.IPPROTO_TCP, unix.TCP_QUICKACK},
	"TCP_DEFER_ACCEPT": {unix.IPPROTO_TCP, unix.TCP_DEFER_ACCEPT}, "TCP_SYNCNT": {unix.IPPROTO_TCP, unix.TCP_SYNCNT},
	"TCP_LINGER2": {unix.IPPROTO_TCP, unix.TCP_LINGER2}, "TCP_NOTSENT_LOWAT": {unix.IPPROTO_TCP, unix.TCP_NOTSENT_LOWAT},
	"TCP_INQ": {unix.IPPROTO_TCP, unix.TCP_INQ}, "SO_ZEROCOPY": {unix.SOL_SOCKET, unix.SO_ZEROCOPY},
	"TCP_FASTOPEN": {unix.IPPROTO_TCP, unix.TCP_FASTOPEN}, "TCP_FASTOPEN_CONNECT": {unix.IPPROTO_TCP, unix.TCP_FASTOPEN_CONNECT},
	"TCP_FASTOPEN_NO_COOKIE": {unix.IPPROTO_TCP, unix.TCP_FASTOPEN_NO_COOKIE},
	"IP_TOS":                 {unix.IPPROTO_IP, unix.IP_TOS}, "IP_MTU_DISCOVER": {unix.IPPROTO_IP, unix.IP_MTU_DISCOVER},
	"IP_FREEBIND":     {unix.IPPROTO_IP, unix.IP_FREEBIND},
	"SO_TIMESTAMPING": {unix.SOL_SOCKET, unix.SO_TIMESTAMPING},
	"SO_MARK":         {unix.SOL_SOCKET, unix.SO_MARK},
}

// fillChecksum completes a checksum the kernel left to the device (checksum offload):
// the Internet checksum of pkt[start:], which already holds the pseudo-header sum at
// start+off, is stored at start+off.
func fillChecksum(pkt []byte, start, off int) {
	if start < 0 || start+off+2 > len(pkt) {
		return
	}
	var sum uint32
	b := pkt[start:]
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(pkt[start+off:], ^uint16(sum))
}

// poll is a real poll() on the sockets behind the script's descriptors; one that has to
// wait runs in the background like any blocking call.
func (s *stack) poll(id int, c *tcp.Call) (tcp.Result, bool, error) {
	fds := c.Poll
	ms := c.Timeout
	pfds := make([]unix.PollFd, len(fds))
	s.mu.Lock()
	for i, p := range fds {
		fd, ok := s.fds[p.FD]
		if !ok {
			fd = -1 // poll() ignores it; reported as POLLNVAL below
		}
		pfds[i] = unix.PollFd{Fd: int32(fd), Events: p.Events}
	}
	s.mu.Unlock()
	do := func(timeout int) (tcp.Result, bool) {
		n, err := unix.Poll(pfds, timeout)
		if err != nil {
			return errRes(err), true
		}
		revents := make([]int16, len(fds))
		for i := range fds {
			revents[i] = pfds[i].Revents
			if pfds[i].Fd < 0 {
				revents[i] = tcp.PollNval
				n++
			}
		}
		return tcp.Result{Ret: int64(n), Revents: revents}, n > 0
	}
	if r, ready := do(0); ready || ms == 0 {
		return r, true, nil
	}
	go func() {
		r, _ := do(ms)
		s.dones <- packetdrill.Done{ID: id, At: s.now(), Res: r}
	}()
	return tcp.Result{}, false, nil
}

// sendmsg is a send with an iovec.
// iovBuffers gives each iovec element its own memory, one byte apart from the next, as
// packetdrill's separate allocations are: under MSG_ZEROCOPY the kernel pins the user's
// pages and merges elements that are contiguous in one page into one fragment, so
// elements packed end to end (as Go's allocator packs small ones) would make fewer
// fragments than packetdrill's, and change where a segment runs out of them
// (zerocopy/maxfrags.pkt).
func iovBuffers(sizes []int) [][]byte {
	total := 0
	for _, n := range sizes {
		total += n + 1
	}
	mem := make([]byte, total)
	bufs := make([][]byte, len(sizes))
	off := 0
	for i, n := range sizes {
		bufs[i] = mem[off : off+n : off+n]
		off += n + 1
	}
	return bufs
}

func (s *stack) sendmsg(id, fd int, c *tcp.Call, nonblock func() bool) (tcp.Result, bool, error) {
	bufs := iovBuffers(c.Iov)
	flags := int(c.Flags)
	var to unix.Sockaddr
	if flags&unix.MSG_FASTOPEN != 0 {
		to = sockaddr(c.Addr.As4(), int(c.Port)) // it opens the connection
	}
	do := func() tcp.Result {
		m, err := unix.SendmsgBuffers(fd, bufs, nil, to, flags|unix.MSG_NOSIGNAL)
		if err != nil {
			return errRes(err)
		}
		return tcp.Result{Ret: int64(m)}
	}
	if flags&unix.MSG_FASTOPEN != 0 && !nonblock() && flags&unix.MSG_DONTWAIT == 0 {
		return s.async(id, do)
	}
	return do(), true, nil
}

// cmsg reads a control message the way the runner compares them (tcp.Cmsg): an
// extended error's fields, a timestamp's software time (the first of scm_timestamping's
// three) in microseconds since the script started.
func (s *stack) cmsg(cm unix.SocketControlMessage) tcp.Cmsg {
	lvl, typ := int(cm.Header.Level), int(cm.Header.Type)
	m := tcp.Cmsg{Level: strconv.Itoa(lvl), Type: strconv.Itoa(typ), Fields: map[string]int64{}}
	d := cm.Data
	switch {
	case lvl == unix.SOL_IP && typ == unix.IP_RECVERR, lvl == unix.SOL_IPV6 && typ == unix.IPV6_RECVERR:
		m.Level, m.Type = "SOL_IP", "IP_RECVERR"
		if lvl == unix.SOL_IPV6 {
			m.Level, m.Type = "SOL_IPV6", "IPV6_RECVERR"
		}
		if len(d) >= 16 { // struct sock_extended_err
			ne := binary.NativeEndian
			m.Fields["ee_errno"] = int64(ne.Uint32(d[0:]))
			m.Fields["ee_origin"], m.Fields["ee_type"], m.Fields["ee_code"] = int64(d[4]), int64(d[5]), int64(d[6])
			m.Fields["ee_info"] = int64(ne.Uint32(d[8:]))
			m.Fields["ee_data"] = int64(ne.Uint32(d[12:]))
		}
	case lvl == unix.SOL_SOCKET && typ == unix.SO_TIMESTAMPING:
		m.Level, m.Type = "SOL_SOCKET", "SCM_TIMESTAMPING"
		if len(d) >= 16 { // struct scm_timestamping: three struct timespec
			ne := binary.NativeEndian
			at := time.Unix(int64(ne.Uint64(d[0:])), int64(ne.Uint64(d[8:])))
			m.Fields["scm_usec"] = s.since(at).Microseconds()
		}
	case lvl == unix.SOL_TCP && typ == unix.TCP_CM_INQ:
		m.Level, m.Type = "SOL_TCP", "TCP_CM_INQ"
		if len(d) >= 4 {
			m.Fields["value"] = int64(int32(binary.NativeEndian.Uint32(d)))
		}
	}
	return m
}

// rawRecvmsg is recvmsg(2) with exactly the buffers given: x/sys/unix's Recvmsg reads
// into a one-byte buffer of its own when the iovecs are empty and a control buffer is
// given, which turns a script's msg_iov(1)=[{...,0}] error-queue read into 1 byte.
func rawRecvmsg(fd int, bufs [][]byte, oob []byte, flags int) (n, oobn, mflags int, err error) {
	iov := make([]unix.Iovec, len(bufs))
	for i, b := range bufs {
		if len(b) > 0 {
			iov[i].Base = &b[0]
		}
		iov[i].SetLen(len(b))
	}
	var msg unix.Msghdr
	if len(iov) > 0 {
		msg.Iov = &iov[0]
		msg.SetIovlen(len(iov))
	}
	if len(oob) > 0 {
		msg.Control = &oob[0]
		msg.SetControllen(len(oob))
	}
	r, _, en := unix.Syscall(unix.SYS_RECVMSG, uintptr(fd), uintptr(unsafe.Pointer(&msg)), uintptr(flags))
	runtime.KeepAlive(bufs)
	runtime.KeepAlive(iov)
	runtime.KeepAlive(oob)
	if en != 0 {
		return 0, 0, 0, en
	}
	return int(r), int(msg.Controllen), int(msg.Flags), nil
}

// recvmsg is a receive with an iovec and control messages (TCP_CM_INQ, the error
// queue's).
func (s *stack) recvmsg(id, fd int, c *tcp.Call, nonblock func() bool, ready func(int16) bool) (tcp.Result, bool, error) {
	sizes := c.Iov
	flags := int(c.Flags)
	do := func() tcp.Result {
		bufs := make([][]byte, len(sizes))
		for i, n := range sizes {
			bufs[i] = make([]byte, n)
		}
		oob := make([]byte, 256)
		m, oobn, mflags, err := rawRecvmsg(fd, bufs, oob, flags)
		if err != nil {
			res := errRes(err)
			res.Cmsgs = []tcp.Cmsg{} // none came back
			return res
		}
		res := tcp.Result{Ret: int64(m), Cmsgs: []tcp.Cmsg{}, MsgFlags: mflags}
		cms, _ := unix.ParseSocketControlMessage(oob[:oobn])
		for _, cm := range cms {
			if cm.Header.Level == unix.SOL_TCP && cm.Header.Type == unix.TCP_CM_INQ && len(cm.Data) >= 4 {
				res.Out = strconv.Itoa(int(int32(binary.NativeEndian.Uint32(cm.Data))))
			}
			res.Cmsgs = append(res.Cmsgs, s.cmsg(cm))
		}
		return res
	}
	if nonblock() || flags&unix.MSG_ERRQUEUE != 0 || ready(unix.POLLIN|unix.POLLRDHUP) {
		return do(), true, nil // a read of the error queue never blocks
	}
	return s.async(id, do)
}
