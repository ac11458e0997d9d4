package web

import (
	"net/http"
	"strings"

	"synack/engine"
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
	"site.tagline":      {EN: "How TCP connections are made and torn down, drawn from a real engine", ZH: "TCP 连接如何建立与断开——由真实的协议引擎绘出"},
	"nav.home":          {EN: "Scenarios", ZH: "场景"},
	"nav.lab":           {EN: "Lab", ZH: "实验室"},
	"nav.lang":          {EN: "中文", ZH: "English"},
	"index.title":       {EN: "Scenarios", ZH: "场景"},
	"index.intro":       {EN: "Each scenario is run by synack's TCP engine; every arrow you see is a segment it sent.", ZH: "每个场景都由 synack 的 TCP 引擎实际运行；你看到的每一个箭头都是它发出的报文。"},
	"index.lab":         {EN: "Drive both ends yourself in the lab", ZH: "在实验室里亲手操控连接的两端"},
	"player.params":     {EN: "Parameters", ZH: "参数"},
	"player.rtt":        {EN: "Round-trip time", ZH: "往返时间（RTT）"},
	"player.profile":    {EN: "Behaviour", ZH: "行为模型"},
	"player.linux":      {EN: "Linux 6.x", ZH: "Linux 6.x"},
	"player.rfc":        {EN: "RFC text", ZH: "RFC 规范"},
	"player.seed":       {EN: "Seed", ZH: "随机种子"},
	"player.drop":       {EN: "Drop segment #", ZH: "丢弃第几个报文"},
	"player.apply":      {EN: "Apply", ZH: "应用"},
	"player.restart":    {EN: "Restart", ZH: "重新开始"},
	"player.back":       {EN: "Step back", ZH: "后退一步"},
	"player.play":       {EN: "Play", ZH: "播放"},
	"player.pause":      {EN: "Pause", ZH: "暂停"},
	"player.forward":    {EN: "Step forward", ZH: "前进一步"},
	"player.speed":      {EN: "Speed", ZH: "速度"},
	"player.numbers":    {EN: "Sequence numbers", ZH: "序列号显示"},
	"player.absolute":   {EN: "absolute", ZH: "绝对值"},
	"player.relative":   {EN: "relative", ZH: "相对值"},
	"player.share":      {EN: "Share", ZH: "分享"},
	"player.copylink":   {EN: "Copy link to this step", ZH: "复制指向此步骤的链接"},
	"player.copyembed":  {EN: "Copy embed code", ZH: "复制嵌入代码"},
	"player.copied":     {EN: "Copied", ZH: "已复制"},
	"player.transcript": {EN: "Transcript", ZH: "文字记录"},
	"player.states":     {EN: "States", ZH: "状态"},
	"player.inspector":  {EN: "Segment", ZH: "报文详情"},
	"player.pickseg":    {EN: "Select an arrow to see its header fields and bytes.", ZH: "点击一个箭头，查看它的首部字段和原始字节。"},
	"player.svg":        {EN: "Diagram as SVG", ZH: "下载 SVG 图"},
	"player.pcap":       {EN: "Capture (pcap)", ZH: "抓包文件（pcap）"},
	"player.keys":       {EN: "Keys: ← → step, space play/pause, Home restart", ZH: "快捷键：← → 单步，空格 播放/暂停，Home 重新开始"},
	"player.step":       {EN: "Step", ZH: "步骤"},
	"player.of":         {EN: "of", ZH: "/"},
	"player.openin":     {EN: "Open in synack", ZH: "在 synack 中打开"},
	"player.nojs":       {EN: "Without JavaScript you see the whole diagram and its transcript; playback needs JavaScript.", ZH: "未启用 JavaScript 时显示完整的图和文字记录；逐步播放需要 JavaScript。"},
	"player.problem":    {EN: "Some parameters were adjusted:", ZH: "部分参数已被调整："},
	"player.field":      {EN: "Field", ZH: "字段"},
	"player.value":      {EN: "Value", ZH: "值"},
	"player.bytes":      {EN: "Bytes", ZH: "字节"},
	"player.connecting": {EN: "Connecting…", ZH: "正在连接…"},
	"player.lost":       {EN: "Connection to the server lost. Reload to try again.", ZH: "与服务器的连接已断开，请刷新页面重试。"},
	"lab.title":         {EN: "Lab", ZH: "实验室"},
	"lab.intro":         {EN: "Drive both endpoints and the network one action at a time; the engine answers live, including the answers you may not expect.", ZH: "一步步操控两个端点和网络，引擎实时作出回应——包括你意想不到的回应。"},
	"lab.client":        {EN: "Client", ZH: "客户端"},
	"lab.server":        {EN: "Server", ZH: "服务器"},
	"lab.network":       {EN: "Network", ZH: "网络"},
	"lab.clock":         {EN: "Clock", ZH: "时钟"},
	"lab.listen":        {EN: "listen()", ZH: "listen()"},
	"lab.connect":       {EN: "connect()", ZH: "connect()"},
	"lab.send":          {EN: "send 100 bytes", ZH: "发送 100 字节"},
	"lab.read":          {EN: "read()", ZH: "read()"},
	"lab.shutdown":      {EN: "shutdown(SHUT_WR)", ZH: "shutdown(SHUT_WR)"},
	"lab.close":         {EN: "close()", ZH: "close()"},
	"lab.abort":         {EN: "abort (RST)", ZH: "中止（RST）"},
	"lab.dropc":         {EN: "drop next client→server", ZH: "丢弃下一个 客户端→服务器 报文"},
	"lab.drops":         {EN: "drop next server→client", ZH: "丢弃下一个 服务器→客户端 报文"},
	"lab.dupc":          {EN: "duplicate next client→server", ZH: "复制下一个 客户端→服务器 报文"},
	"lab.delays":        {EN: "delay next server→client by 1 RTT", ZH: "将下一个 服务器→客户端 报文延迟 1 个 RTT"},
	"lab.wait1":         {EN: "wait 1 s", ZH: "等待 1 秒"},
	"lab.wait60":        {EN: "wait 60 s", ZH: "等待 60 秒"},
	"lab.reset":         {EN: "Start over", ZH: "重新开始"},
	"lab.state":         {EN: "state", ZH: "状态"},
	"index.lessons":     {EN: "Lessons", ZH: "课程"},
	"index.scenarios":   {EN: "All scenarios", ZH: "全部场景"},
	"lesson.narration":  {EN: "The lesson", ZH: "课程讲解"},
	"lesson.questions":  {EN: "Questions", ZH: "思考题"},
	"lesson.answer":     {EN: "Answer", ZH: "答案"},
	"lesson.related":    {EN: "Related lessons", ZH: "相关课程"},
	"lesson.predict":    {EN: "Predict before you look:", ZH: "先预测，再揭晓："},
	"lesson.check":      {EN: "Check", ZH: "揭晓"},
	"lesson.correct":    {EN: "Correct.", ZH: "答对了。"},
	"lesson.wrong":      {EN: "Not quite — the engine did this:", ZH: "不太对——引擎实际的结果是："},
	"lesson.continue":   {EN: "Continue", ZH: "继续"},
	"error.notfound":    {EN: "There is no scenario with that name.", ZH: "没有这个名称的场景。"},
	"error.back":        {EN: "Back to the scenarios", ZH: "返回场景列表"},
}

// T returns a string in the given language.
func T(lang, key string) string {
	if t, ok := Strings[key]; ok {
		return t.In(lang)
	}
	return key
}
