// Package stories is synack's story catalogue: the ordered list of stories the product
// tells (an id, a title and a summary in English and Chinese, and how to run it), as one
// explicit value. The TCP stories are the engine's (engine.Story values); the HTTP, TLS
// and QUIC stories carry recorded handshakes over the engine (engine/handshakes).
//
// It sits above engine and engine/handshakes in the import graph, and nothing under
// engine/ may import it: the engine simulates, it does not know which stories the product
// tells or what they are called. It lives under lessons/ because it is the product's
// content, like the lessons that narrate its stories, and the house layout keeps the
// engine's folder for the simulation itself. Nothing is registered at init time and
// nothing is imported for its side effects: a program gets the catalogue by calling
// Default, and a test may build a smaller one with New.
package stories

import (
	"errors"
	"fmt"

	"synack/engine"
	"synack/engine/handshakes"
)

// Story is one story of the catalogue.
type Story struct {
	ID      string      `json:"id"`
	Title   engine.Text `json:"title"`
	Summary engine.Text `json:"summary"`
	// Run runs the story with the given parameters; id names the trace's scenario.
	Run func(id string, p engine.Params) (*engine.Trace, error) `json:"-"`
}

// Catalogue is an ordered list of stories with unique ids. The zero value is empty.
type Catalogue struct {
	stories []Story
}

// ErrUnknownScenario is returned by Run for an id that is not in the catalogue.
var ErrUnknownScenario = errors.New("unknown scenario")

// New returns a catalogue of the given stories, in the order given. Every story needs an
// id that no other story has, a title and summary in both languages, and a Run.
func New(stories ...Story) (*Catalogue, error) {
	seen := make(map[string]bool, len(stories))
	for i, st := range stories {
		switch {
		case st.ID == "":
			return nil, fmt.Errorf("story %d has no id", i+1)
		case seen[st.ID]:
			return nil, fmt.Errorf("story %q is listed twice", st.ID)
		case st.Title.EN == "" || st.Title.ZH == "" || st.Summary.EN == "" || st.Summary.ZH == "":
			return nil, fmt.Errorf("story %q needs a title and a summary in English and Chinese", st.ID)
		case st.Run == nil:
			return nil, fmt.Errorf("story %q has no Run", st.ID)
		}
		seen[st.ID] = true
	}
	return &Catalogue{stories: append([]Story(nil), stories...)}, nil
}

// Stories returns the stories in the order they are told. The slice is a copy.
func (c *Catalogue) Stories() []Story {
	if c == nil {
		return nil
	}
	return append([]Story(nil), c.stories...)
}

// Lookup returns the story with the given id.
func (c *Catalogue) Lookup(id string) (Story, bool) {
	if c != nil {
		for _, st := range c.stories {
			if st.ID == id {
				return st, true
			}
		}
	}
	return Story{}, false
}

// Run runs the story with the given id and returns its trace.
func (c *Catalogue) Run(id string, p engine.Params) (*engine.Trace, error) {
	st, ok := c.Lookup(id)
	if !ok {
		return nil, fmt.Errorf("%w %q (see 'synack scenarios')", ErrUnknownScenario, id)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return st.Run(st.ID, p)
}

// Default returns synack's catalogue: the TCP stories of the engine, then the HTTP, TLS
// and QUIC stories carried over it, in the order the index page lists them.
func Default() *Catalogue {
	stories := TCP()
	for _, v := range handshakes.Variants {
		stories = append(stories, Story{ID: v.ID, Title: v.Title, Summary: v.Summary, Run: handshakes.RunStory})
	}
	c, err := New(stories...)
	if err != nil {
		panic("stories: " + err.Error()) // a test checks Default; this is a programming error
	}
	return c
}

// TCP returns the stories the engine tells on its own, without recorded handshakes: the
// stories engine/testdata/golden holds a reviewed trace of.
func TCP() []Story {
	return []Story{
		{ID: "three-way-handshake",
			Title:   txt("The three-way handshake", "三次握手"),
			Summary: txt("SYN, SYN-ACK, ACK: both sides learn the other's initial sequence number.", "SYN、SYN-ACK、ACK：双方互相确认对方的初始序列号。"),
			Run:     engine.ThreeWayHandshake.Run},
		{ID: "data-on-third-ack",
			Title:   txt("Data on the third segment", "第三次握手携带数据"),
			Summary: txt("The client writes before the handshake ends; its data rides on the final ACK.", "客户端在握手完成前就写入数据，数据搭载在第三个报文段（ACK）上。"),
			Run:     engine.DataOnThirdACK.Run},
		{ID: "tcp-fast-open",
			Title:   txt("TCP Fast Open", "TCP 快速打开（Fast Open）"),
			Summary: txt("A first connection fetches a cookie; the next one sends its request in the SYN and gets the answer a round trip sooner.", "第一次连接先拿到 cookie；下一次连接在 SYN 里就带上请求，响应早到一个往返时间。"),
			Run:     engine.TCPFastOpen.Run},
		{ID: "syn-ack-lost",
			Title:   txt("The SYN-ACK is lost", "SYN-ACK 丢失"),
			Summary: txt("The server's SYN-ACK is lost; both sides' timers decide who retransmits first.", "服务器的 SYN-ACK 丢失，双方的重传定时器决定谁先重传。"),
			Run:     engine.SYNACKLost.Run},
		{ID: "old-duplicate-syn",
			Title:   txt("An old duplicate SYN", "旧的重复 SYN"),
			Summary: txt("RFC 9293 Figure 8: a delayed SYN from an earlier connection is refused by the client's RST.", "RFC 9293 图 8：早先连接遗留的 SYN 到达，客户端用 RST 拒绝，随后正常握手。"),
			Run:     engine.OldDuplicateSYN.Run},
		{ID: "simultaneous-open",
			Title:   txt("Simultaneous open", "同时打开"),
			Summary: txt("Both ends send a SYN at the same moment; the SYNs cross and four segments open one connection.", "两端同时发送 SYN，报文段在路上交叉，四个报文段建立起一条连接。"),
			Run:     engine.SimultaneousOpen.Run},
		{ID: "four-way-close",
			Title:   txt("The four-way close", "四次挥手"),
			Summary: txt("FIN, ACK, FIN, ACK: each direction is closed on its own, then TIME-WAIT.", "FIN、ACK、FIN、ACK：两个方向各自关闭，主动关闭方进入 TIME-WAIT。"),
			Run:     engine.FourWayClose.Run},
		{ID: "three-way-close",
			Title:   txt("The three-segment close", "三次挥手"),
			Summary: txt("The server closes at once, so its FIN carries the delayed ACK of the client's FIN.", "服务器立即关闭，它的 FIN 顺带确认了客户端的 FIN（延迟确认被合并）。"),
			Run:     engine.ThreeWayClose.Run},
		{ID: "half-close",
			Title:   txt("Half-close", "半关闭"),
			Summary: txt("The client shuts down its sending side; the server keeps sending its answer.", "客户端关闭发送方向（shutdown），服务器仍继续发送响应数据。"),
			Run:     engine.HalfClose.Run},
		{ID: "simultaneous-close",
			Title:   txt("Simultaneous close", "同时关闭"),
			Summary: txt("Both ends close at once; the FINs cross, both pass through CLOSING into TIME-WAIT.", "两端同时关闭，FIN 交叉而过，双方都经过 CLOSING 进入 TIME-WAIT。"),
			Run:     engine.SimultaneousClose.Run},
		{ID: "lost-final-ack",
			Title:   txt("The lost final ACK", "最后一个 ACK 丢失"),
			Summary: txt("The client's last ACK is lost; the server resends its FIN and TIME-WAIT answers it.", "客户端的最后一个 ACK 丢失，服务器重传 FIN，处于 TIME-WAIT 的客户端再次确认。"),
			Run:     engine.LostFinalACK.Run},
		{ID: "orphan-fin-wait-2",
			Title:   txt("An orphan in FIN-WAIT-2", "FIN-WAIT-2 中的孤儿连接"),
			Summary: txt("The client closes, the server never does: the orphaned client gives up after tcp_fin_timeout.", "客户端关闭后服务器迟迟不关闭：孤儿连接在 tcp_fin_timeout 后被回收。"),
			Run:     engine.OrphanFinWait2.Run},
		{ID: "syn-to-closed-port",
			Title:   txt("SYN to a closed port", "连接未监听的端口"),
			Summary: txt("Nothing listens on the port: the server answers RST, connect() fails with ECONNREFUSED.", "端口上没有监听者：服务器回复 RST，connect() 返回 ECONNREFUSED。"),
			Run:     engine.SYNToClosedPort.Run},
		{ID: "connect-timeout",
			Title:   txt("connect() timing out", "connect() 超时"),
			Summary: txt("A firewall drops every SYN: the client retransmits with backoff until ETIMEDOUT.", "防火墙丢弃所有 SYN：客户端按退避规则重传，直到 ETIMEDOUT。"),
			Run:     engine.ConnectTimeout.Run},
		{ID: "abort-rst",
			Title:   txt("Abort: closing with a reset", "异常终止：用 RST 关闭"),
			Summary: txt("The client aborts (SO_LINGER 0): one RST and the server's read fails with ECONNRESET.", "客户端以 SO_LINGER 0 中止连接：发送 RST，服务器读取时得到 ECONNRESET。"),
			Run:     engine.AbortRST.Run},
		{ID: "syn-flood",
			Title:   txt("A SYN flood", "SYN 洪泛攻击"),
			Summary: txt("Spoofed SYNs fill the SYN queue; without cookies a real client is turned away.", "伪造源地址的 SYN 塞满半连接队列；不启用 SYN cookie 时，正常客户端无法连接。"),
			Run:     engine.SYNFlood.Run},
		{ID: "syn-cookies",
			Title:   txt("SYN cookies", "SYN cookie"),
			Summary: txt("The same flood with cookies on: the server keeps no state, and the real client gets in.", "同样的洪泛，开启 SYN cookie：服务器不保存状态，正常客户端仍能连接。"),
			Run:     engine.SYNCookies.Run},
	}
}

func txt(en, zh string) engine.Text { return engine.Text{EN: en, ZH: zh} }
