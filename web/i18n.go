package web

import (
	"net/http"
	"strings"

	"synack/engine"
	"synack/engine/diagram"
)

// Languages the site speaks.
var Languages = []string{"en", "zh"}

// LangCookie remembers a reader's language choice.
const LangCookie = "synack-lang"

// pickLang chooses the language: ?lang=, then the cookie, then Accept-Language.
func pickLang(r *http.Request) (lang string, fromQuery bool) {
	if l := normLang(r.URL.Query().Get("lang")); l != "" {
		return l, true
	}
	if c, err := r.Cookie(LangCookie); err == nil {
		if l := normLang(c.Value); l != "" {
			return l, false
		}
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.TrimSpace(strings.SplitN(part, ";", 2)[0])
		if l := normLang(tag); l != "" {
			return l, false
		}
	}
	return "en", false
}

func normLang(s string) string {
	s = strings.ToLower(s)
	switch {
	case s == "zh" || strings.HasPrefix(s, "zh-"):
		return "zh"
	case s == "en" || strings.HasPrefix(s, "en-"):
		return "en"
	}
	return ""
}

// Strings holds every user-visible string of the pages, in both languages.
var Strings = map[string]engine.Text{
	"site.tagline":          {EN: "How TCP connections are made and torn down, drawn from a real engine", ZH: "TCP 连接如何建立与断开——由真实的协议引擎绘出"},
	"nav.home":              {EN: "Scenarios", ZH: "场景"},
	"nav.lab":               {EN: "Lab", ZH: "实验室"},
	"nav.compare":           {EN: "TLS & QUIC", ZH: "TLS 与 QUIC"},
	"compare.title":         {EN: "How many round trips before the first byte?", ZH: "第一个字节之前要几个往返？"},
	"compare.intro":         {EN: "Each column is a real handshake (crypto/tls or quic-go) recorded once and carried over synack's simulated network; TCP segments come from the engine. Move the RTT and every number is measured again from new runs.", ZH: "每一列都是一次真实的握手（crypto/tls 或 quic-go），录制下来后在 synack 的模拟网络上重新传输；TCP 报文由引擎产生。拖动 RTT，每个数字都由新的运行重新测得。"},
	"compare.rtt":           {EN: "Round-trip time", ZH: "往返时延（RTT）"},
	"compare.lose":          {EN: "Lose the client's first packet with payload", ZH: "丢掉客户端第一个带载荷的包"},
	"compare.apply":         {EN: "Show", ZH: "显示"},
	"compare.scroll":        {EN: "the table scrolls sideways", ZH: "表格可左右滑动"},
	"compare.count.title":   {EN: "Counting the handshakes", ZH: "数一数握手"},
	"compare.count.1":       {EN: "The usual count: TCP needs 3 packets (SYN, SYN-ACK, ACK) before HTTP can send; TLS 1.2 adds 4 more (ClientHello; ServerHello…Done; ClientKeyExchange, ChangeCipherSpec, Finished; ChangeCipherSpec, Finished): the \"7 handshakes\" of HTTPS. QUIC merges transport and crypto setup and is back to 3: Initial, Initial + Handshake, Handshake.", ZH: "常见的数法：HTTP 发送前，TCP 需要 3 个包（SYN、SYN-ACK、ACK）；TLS 1.2 再加 4 个（ClientHello；ServerHello…Done；ClientKeyExchange、ChangeCipherSpec、Finished；ChangeCipherSpec、Finished），这就是 HTTPS 的“7 次握手”。QUIC 把传输和加密的建立合在一起，又回到 3 个：Initial、Initial + Handshake、Handshake。"},
	"compare.count.2":       {EN: "Where the count is exact: the packets column counts what the runs sent, so TLS 1.2 shows 3 + 4 = 7 when each flight fits one segment. Where it simplifies: packets are not round trips. TLS 1.3 sends its key share in the ClientHello and finishes in one round trip (6 packets, 3 RTT to the first byte); a bigger flight (a post-quantum key share, a certificate chain) takes more segments but no more round trips; a lost packet costs a timeout, not one packet.", ZH: "数得准确的地方：“握手包”一列数的是运行中实际发出的包，所以当每组消息都装得进一个报文时，TLS 1.2 正好是 3 + 4 = 7。简化了的地方：包数不等于往返数。TLS 1.3 在 ClientHello 里就带上密钥份额，一个往返完成握手（6 个包，第 3 个往返收到首字节）；更大的消息组（后量子密钥份额、证书链）会占更多报文，但不增加往返；丢一个包的代价是一次超时，而不是一个包。"},
	"compare.count.3":       {EN: "Resumption skips the certificate but not the round trip. 0-RTT sends the request with the first flight and saves one more, at a price: early data can be replayed by an attacker (RFC 8446 §8), so servers accept it only for requests that are safe to repeat. TLS 1.3 0-RTT over TCP is modelled from RFC 8446 §2.3, because Go's crypto/tls does not implement it; QUIC 0-RTT is recorded.", ZH: "会话恢复省掉了证书，却省不掉往返。0-RTT 让请求随第一组报文发出，再省一个往返，但有代价：早期数据可能被攻击者重放（RFC 8446 §8），所以服务器只对可以安全重复的请求接受它。TCP 上的 TLS 1.3 0-RTT 依据 RFC 8446 §2.3 建模，因为 Go 的 crypto/tls 没有实现它；QUIC 0-RTT 则是录制的。"},
	"compare.table":         {EN: "Measured at this RTT", ZH: "在此 RTT 下的测量结果"},
	"compare.col.variant":   {EN: "Variant", ZH: "方式"},
	"compare.col.packets":   {EN: "Handshake packets", ZH: "握手包数"},
	"compare.col.before":    {EN: "Request leaves (RTT)", ZH: "请求发出（RTT）"},
	"compare.col.first":     {EN: "First response byte (RTT)", ZH: "收到首字节（RTT）"},
	"compare.col.firstms":   {EN: "First byte (ms)", ZH: "首字节（毫秒）"},
	"compare.col.bytes":     {EN: "Handshake bytes", ZH: "握手字节数"},
	"compare.open":          {EN: "Open in the player", ZH: "在播放器中打开"},
	"compare.transcript":    {EN: "Packets, as text", ZH: "逐包文字说明"},
	"compare.legend":        {EN: "Legend", ZH: "图例"},
	"compare.legend.tcp":    {EN: "TCP handshake", ZH: "TCP 握手"},
	"compare.legend.crypto": {EN: "TLS / QUIC handshake", ZH: "TLS / QUIC 握手"},
	"compare.legend.data":   {EN: "HTTP request and response", ZH: "HTTP 请求与响应"},
	"compare.legend.ack":    {EN: "bare ACK", ZH: "纯 ACK"},
	"compare.legend.dot":    {EN: "request leaves / first response byte", ZH: "请求发出 / 收到首字节"},
	"compare.bar":           {EN: "Bars: one block per round trip until the first byte of the response arrives.", ZH: "条形图：每一块代表一个往返，直到收到响应的第一个字节。"},
	"compare.bytesnote":     {EN: "Handshake packets: those sent until the request leaves that carry handshake (SYN, SYN-ACK, the ACK completing it, TLS or QUIC handshake messages), retransmissions included, bare ACKs not. Handshake bytes: their IP, TCP or UDP headers and payloads.", ZH: "握手包：直到请求发出为止、携带握手内容的包（SYN、SYN-ACK、完成握手的 ACK、TLS 或 QUIC 握手消息），包括重传，不含纯 ACK。握手字节：这些包的 IP、TCP 或 UDP 首部与载荷之和。"},
	"compare.scale":         {EN: "All columns share one time scale; the rules mark round trips.", ZH: "所有列使用同一时间刻度；横线标出每个往返。"},
	"compare.modelled":      {EN: "modelled", ZH: "模型"},
	"compare.problem":       {EN: "Some settings were not usable:", ZH: "部分设置无法使用："},
	"nav.lang":              {EN: "中文", ZH: "English"},
	"index.title":           {EN: "Scenarios", ZH: "场景"},
	"index.intro":           {EN: "Each scenario is run by synack's TCP engine; every arrow you see is a segment it sent.", ZH: "每个场景都由 synack 的 TCP 引擎实际运行；你看到的每一个箭头都是它发出的报文。"},
	"index.compare":         {EN: "Compare the round trips of TCP, TLS 1.2, TLS 1.3 and QUIC", ZH: "比较 TCP、TLS 1.2、TLS 1.3 与 QUIC 的往返次数"},
	"index.lab":             {EN: "Drive both ends yourself in the lab", ZH: "在实验室里亲手操控连接的两端"},
	"player.params":         {EN: "Parameters", ZH: "参数"},
	"player.rtt":            {EN: "Round-trip time", ZH: "往返时间（RTT）"},
	"player.profile":        {EN: "Behaviour", ZH: "行为模型"},
	"player.linux":          {EN: "Linux 6.x", ZH: "Linux 6.x"},
	"player.rfc":            {EN: "RFC text", ZH: "RFC 规范"},
	"player.seed":           {EN: "Seed", ZH: "随机种子"},
	"player.drop":           {EN: "Drop segment #", ZH: "丢弃第几个报文"},
	"player.apply":          {EN: "Apply", ZH: "应用"},
	"player.restart":        {EN: "Restart", ZH: "重新开始"},
	"player.back":           {EN: "Step back", ZH: "后退一步"},
	"player.play":           {EN: "Play", ZH: "播放"},
	"player.pause":          {EN: "Pause", ZH: "暂停"},
	"player.forward":        {EN: "Step forward", ZH: "前进一步"},
	"player.speed":          {EN: "Speed", ZH: "速度"},
	"player.numbers":        {EN: "Sequence numbers", ZH: "序列号显示"},
	"player.absolute":       {EN: "absolute", ZH: "绝对值"},
	"player.relative":       {EN: "relative", ZH: "相对值"},
	"player.share":          {EN: "Share", ZH: "分享"},
	"player.controls":       {EN: "Playback", ZH: "播放控制"},
	"player.copylink":       {EN: "Copy link to this step", ZH: "复制指向此步骤的链接"},
	"player.copyembed":      {EN: "Copy embed code", ZH: "复制嵌入代码"},
	"player.copied":         {EN: "Copied", ZH: "已复制"},
	"player.transcript":     {EN: "Transcript", ZH: "文字记录"},
	"player.states":         {EN: "States", ZH: "状态"},
	"player.inspector":      {EN: "Segment", ZH: "报文详情"},
	"player.pickseg":        {EN: "Select an arrow to see its header fields and bytes.", ZH: "点击一个箭头，查看它的首部字段和原始字节。"},
	"player.bundled":        {EN: "Repeated segments of the flood are drawn as one bundle each (the transcript, JSON and captures keep every one).", ZH: "洪泛中重复的报文段各画成一束（文字记录、JSON 和抓包文件保留每一个报文段）。"},
	"player.expand":         {EN: "Draw every segment", ZH: "逐个画出每个报文段"},
	"player.expanded":       {EN: "Every segment of the flood is drawn.", ZH: "洪泛中的每个报文段都已画出。"},
	"player.bundle":         {EN: "Bundle repeated segments", ZH: "把重复的报文段合成一束"},
	"player.svg":            {EN: "Diagram as SVG", ZH: "下载 SVG 图"},
	"player.pcapng":         {EN: "Capture with TLS keys (pcapng)", ZH: "含 TLS 密钥的抓包文件（pcapng）"},
	"player.pcap":           {EN: "Capture (pcap)", ZH: "抓包文件（pcap）"},
	"player.keys":           {EN: "Keys: ← → step, space play/pause, Home restart", ZH: "快捷键：← → 单步，空格 播放/暂停，Home 重新开始"},
	"player.step":           {EN: "Step", ZH: "步骤"},
	"player.of":             {EN: "of", ZH: "/"},
	"player.openin":         {EN: "Open in synack", ZH: "在 synack 中打开"},
	"player.nojs":           {EN: "Without JavaScript you see the whole diagram and its transcript; playback needs JavaScript.", ZH: "未启用 JavaScript 时显示完整的图和文字记录；逐步播放需要 JavaScript。"},
	"player.problem":        {EN: "Some parameters were adjusted:", ZH: "部分参数已被调整："},
	"player.field":          {EN: "Field", ZH: "字段"},
	"player.value":          {EN: "Value", ZH: "值"},
	"player.bytes":          {EN: "Bytes", ZH: "字节"},
	"player.connecting":     {EN: "Connecting…", ZH: "正在连接…"},
	"player.lost":           {EN: "Connection to the server lost. Reload to try again.", ZH: "与服务器的连接已断开，请刷新页面重试。"},
	"lab.title":             {EN: "Lab", ZH: "实验室"},
	"lab.intro":             {EN: "Drive both endpoints and the network one action at a time; the engine answers live, including the answers you may not expect.", ZH: "一步步操控两个端点和网络，引擎实时作出回应——包括你意想不到的回应。"},
	"lab.hint":              {EN: "Start here: press the server's listen(), then the client's connect(). Every arrow that appears below is a segment the engine sent.", ZH: "从这里开始：先按服务器的 listen()，再按客户端的 connect()。下面出现的每个箭头，都是引擎实际发出的报文。"},
	"lab.client":            {EN: "Client", ZH: "客户端"},
	"lab.server":            {EN: "Server", ZH: "服务器"},
	"lab.network":           {EN: "Network", ZH: "网络"},
	"lab.clock":             {EN: "Clock", ZH: "时钟"},
	"lab.now":               {EN: "Show now", ZH: "立即显示"},
	"lab.listen":            {EN: "listen()", ZH: "listen()"},
	"lab.connect":           {EN: "connect()", ZH: "connect()"},
	"lab.send":              {EN: "send 100 bytes", ZH: "发送 100 字节"},
	"lab.read":              {EN: "read()", ZH: "read()"},
	"lab.shutdown":          {EN: "shutdown(SHUT_WR)", ZH: "shutdown(SHUT_WR)"},
	"lab.close":             {EN: "close()", ZH: "close()"},
	"lab.abort":             {EN: "abort (RST)", ZH: "中止（RST）"},
	"lab.dropc":             {EN: "drop next client→server", ZH: "丢弃下一个 客户端→服务器 报文"},
	"lab.drops":             {EN: "drop next server→client", ZH: "丢弃下一个 服务器→客户端 报文"},
	"lab.dupc":              {EN: "duplicate next client→server", ZH: "复制下一个 客户端→服务器 报文"},
	"lab.delays":            {EN: "delay next server→client by 1 RTT", ZH: "将下一个 服务器→客户端 报文延迟 1 个 RTT"},
	"lab.wait1":             {EN: "wait 1 s", ZH: "等待 1 秒"},
	"lab.wait60":            {EN: "wait 60 s", ZH: "等待 60 秒"},
	"lab.reset":             {EN: "Start over", ZH: "重新开始"},
	"lab.state":             {EN: "state", ZH: "状态"},
	"index.lessons":         {EN: "Lessons", ZH: "课程"},
	"index.scenarios":       {EN: "All scenarios", ZH: "全部场景"},
	"lesson.narration":      {EN: "The lesson", ZH: "课程讲解"},
	"lesson.questions":      {EN: "Questions", ZH: "思考题"},
	"lesson.answer":         {EN: "Answer", ZH: "答案"},
	"lesson.related":        {EN: "Related lessons and stories", ZH: "相关课程与场景"},
	"lesson.sources":        {EN: "Sources", ZH: "参考来源"},
	"player.tcpdump":        {EN: "As tcpdump prints it", ZH: "tcpdump 的输出"},
	"player.tcpdump.note":   {EN: "(-S: absolute sequence numbers; without -S they are relative to each side's ISN: switch \"Sequence numbers\" above)", ZH: "（-S：绝对序列号；不加 -S 则相对于各方的 ISN：用上方的“序列号显示”切换）"},
	"lesson.predict":        {EN: "Predict before you look:", ZH: "先预测，再揭晓："},
	"lesson.check":          {EN: "Check", ZH: "揭晓"},
	"lesson.correct":        {EN: "Correct.", ZH: "答对了。"},
	"lesson.wrong":          {EN: "Not quite — the engine did this:", ZH: "不太对——引擎实际的结果是："},
	"lesson.continue":       {EN: "Continue", ZH: "继续"},
	"error.notfound":        {EN: "There is no scenario with that name.", ZH: "没有这个名称的场景。"},
	"error.back":            {EN: "Back to the scenarios", ZH: "返回场景列表"},
	// Endpoint and timer names where the diagrams show them (engine/diagram holds the text).
	"lane.client":      diagram.LaneText("client"),
	"lane.server":      diagram.LaneText("server"),
	"lane.attacker":    diagram.LaneText("attacker"),
	"timer.RTO":        diagram.TimerLabel("RTO"),
	"timer.DELACK":     diagram.TimerLabel("DELACK"),
	"timer.TIME-WAIT":  diagram.TimerLabel("TIME-WAIT"),
	"timer.FIN-WAIT-2": diagram.TimerLabel("FIN-WAIT-2"),
	"timer.KEEPALIVE":  diagram.TimerLabel("KEEPALIVE"),
	"timer.PERSIST":    diagram.TimerLabel("PERSIST"),
	"states.figure":    {EN: "RFC 9293 Figure 5, the TCP state diagram", ZH: "RFC 9293 图 5：TCP 状态图"},
	// The classroom (web/class.go, static/js/classroom.js).
	"class.title":           {EN: "Classroom", ZH: "课堂"},
	"class.joinat":          {EN: "Join on your phone at", ZH: "用手机打开"},
	"class.code":            {EN: "Room code", ZH: "房间码"},
	"class.room":            {EN: "Room", ZH: "房间"},
	"class.qr":              {EN: "QR code of the join address", ZH: "加入地址的二维码"},
	"class.students":        {EN: "students joined", ZH: "名学生已加入"},
	"class.answers":         {EN: "answers", ZH: "份回答"},
	"class.round":           {EN: "round {n}", ZH: "第 {n} 轮"},
	"class.colon":           {EN: ": ", ZH: "："},
	"class.stop":            {EN: ".", ZH: "。"},
	"class.show":            {EN: "Show results", ZH: "显示结果"},
	"class.revote":          {EN: "Vote again", ZH: "重新投票"},
	"class.reveal":          {EN: "Reveal the answer", ZH: "揭晓答案"},
	"class.continue":        {EN: "Continue the lesson", ZH: "继续课程"},
	"class.csv":             {EN: "Download the answers (CSV)", ZH: "下载回答（CSV）"},
	"class.nick":            {EN: "Add a nickname (optional)", ZH: "添加昵称（可选）"},
	"class.nicklabel":       {EN: "Nickname", ZH: "昵称"},
	"class.nickset":         {EN: "Save", ZH: "保存"},
	"class.anon":            {EN: "You are anonymous unless you give a nickname. Nothing else about you is stored.", ZH: "除非你填写昵称，否则你是匿名的。不会保存关于你的任何其他信息。"},
	"class.join":            {EN: "Join", ZH: "加入"},
	"class.typecode":        {EN: "Type the room code your teacher shows.", ZH: "请输入老师展示的房间码。"},
	"class.noroom":          {EN: "There is no room with this code. Check the code on the teacher's screen and type it again.", ZH: "没有这个房间码对应的房间。请核对老师屏幕上的房间码后重新输入。"},
	"class.expired":         {EN: "This room has ended: rooms close four hours after they open. Ask your teacher for the new code.", ZH: "这个房间已经结束：房间在开启四小时后关闭。请向老师索取新的房间码。"},
	"class.toomany":         {EN: "Too many rooms are open on this server right now. Try again later.", ZH: "此服务器上同时开启的房间太多，请稍后再试。"},
	"class.notteacher":      {EN: "This is the teacher's view of the room, open only in the browser that created it. Students join at the room's own address.", ZH: "这是房间的教师视图，只能在创建房间的浏览器中打开。学生请使用房间自己的地址加入。"},
	"class.nolesson":        {EN: "A room needs a lesson: open /class/new?lesson=ID with a lesson's id.", ZH: "开房间需要指定课程：请用课程 id 打开 /class/new?lesson=ID。"},
	"class.down":            {EN: "The classroom is not reachable right now. Try again in a moment.", ZH: "课堂服务暂时无法连接，请稍后再试。"},
	"class.connecting":      {EN: "Connecting…", ZH: "正在连接……"},
	"class.connected":       {EN: "Connected: following the teacher.", ZH: "已连接：正在跟随老师。"},
	"class.teaching":        {EN: "Connected: the students follow your steps.", ZH: "已连接：学生跟随你的步骤。"},
	"class.lost":            {EN: "Connection lost: reconnecting…", ZH: "连接中断：正在重新连接……"},
	"class.waiting":         {EN: "Waiting for the teacher's next question.", ZH: "等待老师的下一个问题。"},
	"class.sent":            {EN: "Answer received:", ZH: "已收到你的回答："},
	"class.closed":          {EN: "Voting is closed.", ZH: "投票已结束。"},
	"class.right":           {EN: "Right! The answer is", ZH: "答对了！答案是"},
	"class.wrong":           {EN: "Not this time. The answer is", ZH: "这次没答对。答案是"},
	"class.noanswer":        {EN: "You did not answer. The answer is", ZH: "你没有作答。答案是"},
	"class.err.no-room":     {EN: "There is no room with this code.", ZH: "没有这个房间。"},
	"class.err.expired":     {EN: "This room has ended.", ZH: "这个房间已经结束。"},
	"class.err.full":        {EN: "This room is full.", ZH: "这个房间已满。"},
	"class.err.answered":    {EN: "You have already answered this question.", ZH: "你已经回答过这个问题。"},
	"class.err.not-voting":  {EN: "This question is closed.", ZH: "这个问题已关闭。"},
	"class.err.rate":        {EN: "Too many messages: slow down.", ZH: "消息太多，请放慢速度。"},
	"class.err.rounds":      {EN: "No more revotes on this question.", ZH: "这个问题不能再重新投票了。"},
	"class.err.not-teacher": {EN: "Only the teacher may do that.", ZH: "只有老师可以这样做。"},
	"class.err.bad-request": {EN: "The server did not understand that.", ZH: "服务器无法理解这个请求。"},
	"class.err.bad-choice":  {EN: "That is not one of the choices.", ZH: "这不是可选的答案。"},
}

// T returns a string in the given language.
func T(lang, key string) string {
	if t, ok := Strings[key]; ok {
		return t.In(lang)
	}
	return key
}
