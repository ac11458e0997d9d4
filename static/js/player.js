// The player. One clock: this script alone decides when the next step is shown. The
// server sends the whole layout once (every step's geometry and text) and the steps' bytes
// unpaced; a single scheduler here moves the cursor and renders render(stateAt(cursor)).
// The page arrives already drawn at its first step (the URL's ?step=N, else step 1); the
// live view goes on from there. Steps are counted from 1 for people (URL, counter,
// transcript, Share) and from 0 in code and on the wire.
import { mountDiagram } from "./diagram.js";
import { mountStates } from "./states.js";
import { mountInspector } from "./inspector.js";
import { mountLesson } from "./lesson.js";
import { mountTcpdump } from "./tcpdump.js";

const boot = JSON.parse(document.getElementById("boot").textContent);
const T = (k) => boot.strings[k] || k;
const $ = (s) => document.querySelector(s);
const lab = boot.mode === "lab";
// In a classroom the teacher's player drives the room and a student's follows it
// (classroom.js); the two talk through DOM events.
const cls = boot.class || null;
const following = cls && cls.role === "student";

const st = {
  layout: null, steps: [], asked: 0, cursor: lab ? -1 : Math.max(boot.step || 0, 0), playing: false,
  speed: boot.speed || 1, relative: !!boot.relative, selected: null, wantSelect: null, view: null,
  deadline: 0, marked: false,
};

const diagramBox = $("#diagram");
const wrap = diagramBox.closest(".diagram-wrap");
const heads = wrap && wrap.querySelector(".lane-heads");
const states = mountStates($("#states"), { label: T("player.states"), loadFailed: T("player.statesfailed"), figure: boot.stateFigure });
const inspector = mountInspector($("#inspector"), { strings: boot.strings });
const lesson = boot.lesson ? mountLesson(boot.lesson, { strings: boot.strings }) : null;
const tcpdump = mountTcpdump(document.getElementById("tcpdump"), boot.tcpdump);

let ws;
function connect() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  ws = new WebSocket(`${proto}//${location.host}/ws`);
  ws.onopen = () => {
    if (lab) ws.send(JSON.stringify({ type: "lab-start", query: boot.query }));
    else ws.send(JSON.stringify({ type: "start", scenario: boot.scenario, query: boot.query, step: st.cursor, have_layout: !!boot.layout }));
  };
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.type === "init") performance.mark("synack-init");
    receive(m);
  };
  ws.onclose = (e) => {
    if (e.code !== 1000 && e.code !== 1001) status(T("player.lost"));
  };
}

function send(m) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m));
}

function status(text) {
  const out = $("[data-testid=lab-error]") || $("[data-testid=stepno]");
  if (out) out.textContent = text;
}

// A layout from Go has null for an empty list (an empty lab has no items yet).
function normalize(l) {
  for (const k of ["lanes", "items", "steps", "gaps", "ticks"]) if (!Array.isArray(l[k])) l[k] = [];
  return l;
}

function mount() {
  st.view = mountDiagram(diagramBox, st.layout, { lang: boot.lang, strings: boot.strings, relative: st.relative, onSelect: select, title: document.title });
  const svg = diagramBox.querySelector("svg");
  // The live figure is a group of focusable arrows, not one image.
  if (svg) svg.setAttribute("role", "group"), svg.setAttribute("aria-label", document.title);
  if (heads && lab) {
    heads.textContent = "";
    for (const ln of st.layout.lanes) {
      const s = document.createElement("span");
      s.style.left = `${(100 * ln.x) / st.layout.width}%`;
      s.textContent = (ln.name_l && boot.lang === "zh" && ln.name_l.zh) || ln.name;
      heads.appendChild(s);
    }
  }
  st.marked = false;
}

// apply brings a lab patch (engine/diagram.Patch: what one action changed) into the view;
// the view keeps the layout, so the player reads it back from there.
function apply(p) {
  const from = p.full ? 0 : p.from_step;
  st.steps.length = Math.min(st.steps.length, from);
  st.view.patch(p);
  st.layout = normalize(st.view.layout);
  buildTranscript(from);
  labHint();
}

// labHint shows how to begin while the lab has drawn nothing.
function labHint() {
  const h = $("[data-testid=lab-hint]");
  if (h) h.hidden = st.layout.steps.length > 0;
}

function receive(m) {
  switch (m.type) {
    case "init":
      if (!lab && st.layout) break; // the page brought the same layout and already plays it
      st.layout = normalize(m.layout);
      st.steps = [];
      st.asked = 0;
      mount();
      if (lab) {
        buildTranscript(0);
        labHint();
        st.cursor = st.layout.steps.length - 1;
      } else {
        st.cursor = Math.min(st.cursor, st.layout.steps.length - 1);
      }
      render(false);
      if (boot.autoplay && !lab) play();
      break;
    case "patch":
      apply(m.patch);
      // Catch up with the action: every new step is shown, all of them within one
      // second at 1× (at once with "Show now").
      st.deadline = performance.now() + 1000 / st.speed;
      st.cursor = Math.min(st.cursor, st.layout.steps.length - 1);
      st.playing = st.cursor < st.layout.steps.length - 1;
      render(false);
      schedule();
      break;
    case "steps":
      for (const s of m.steps) st.steps[s.index] = s;
      if (st.wantSelect != null) {
        const id = st.wantSelect;
        st.wantSelect = null;
        select(id);
      }
      break;
    case "plots":
      // The lab's figures, anew after each action (plots.js draws them).
      document.dispatchEvent(new CustomEvent("synack:plots", { detail: m }));
      break;
    case "lab-state":
      status("");
      break;
    case "lab-error":
      status(m.message);
      break;
    case "error":
      console.warn("synack:", m.code, m.message);
      break;
  }
}

// stateAt returns each main endpoint's state (and the state it came from) at the cursor.
function stateAt(cursor) {
  const out = new Map();
  if (!st.layout) return [];
  // Every end starts CLOSED, unless the page says otherwise (a capture shows an end
  // already listening, or only from its first change on).
  const first = boot.initialStates || {};
  for (const ln of st.layout.lanes) if (ln.role !== "attacker") out.set(ln.name, { endpoint: ln.name, state: first[ln.name] || "CLOSED", from: null });
  for (let i = 0; i <= cursor && i < st.layout.steps.length; i++) {
    const s = st.layout.steps[i];
    if (s.kind === "state" && out.has(s.lane)) out.set(s.lane, { endpoint: s.lane, state: s.state, from: s.from, cause: s.cause, at: i });
  }
  return [...out.values()];
}

// legends show the lab's endpoint states at the cursor, taken from the same steps as the
// diagram and the state graph, so the three always agree.
function legends() {
  if (!lab || !st.layout) return;
  const now = Object.fromEntries(stateAt(st.cursor).map((s) => [s.endpoint, s.state]));
  for (const k of ["client", "server"]) {
    const o = document.querySelector(`[data-state-of=${k}]`);
    if (o) o.textContent = now[k] || "CLOSED";
  }
}

let lastCur = null;
function render(animate) {
  if (!st.view) return;
  const n = st.layout.steps.length;
  st.view.show(st.cursor, { animate });
  follow(st.cursor, animate);
  states.set(stateAt(st.cursor));
  if (lesson) lesson.show(st.cursor, st.layout.steps, boot.lang);
  tcpdump.show(st.cursor, st.relative);
  legends();
  const no = $("[data-testid=stepno]");
  if (no) no.textContent = n ? `${T("player.step")} ${st.cursor + 1} ${T("player.of")} ${n}` : "";
  const play = $("[data-action=play]");
  if (play) {
    play.textContent = st.playing ? "❚❚" : "▶";
    play.setAttribute("aria-label", st.playing ? T("player.pause") : T("player.play"));
  }
  markTranscript();
  const cur = st.layout.steps[st.cursor];
  if (cur && cur.kind === "segment") select(cur.segment, true);
  need(st.cursor);
  if (!st.marked && st.layout.steps.some((s, i) => i <= st.cursor && s.kind === "segment")) {
    st.marked = true;
    markFirstArrow();
  }
  if (!lab && !cls) updateURL();
  announce();
}

// markFirstArrow marks (performance.mark "synack-first-arrow") when the first segment
// arrow was shown: when the page arrived with one already drawn by the server, that was
// its first contentful paint, which may come before or after this script runs; else now.
let served = !!boot.layout && !lab;
function markFirstArrow() {
  const fromServer = served && boot.layout.steps.some((s, i) => i <= (boot.step || 0) && s.kind === "segment");
  served = false;
  if (!fromServer || typeof PerformanceObserver === "undefined") {
    performance.mark("synack-first-arrow");
    return;
  }
  new PerformanceObserver((list, obs) => {
    for (const e of list.getEntries()) {
      if (e.name !== "first-contentful-paint") continue;
      obs.disconnect();
      performance.mark("synack-first-arrow", { startTime: e.startTime });
    }
  }).observe({ type: "paint", buffered: true });
}

// announce tells embed.js (and through it the page that frames an embed) where the
// player is: "ready" once, then each move of the cursor or of play/pause.
let announced = null;
function announce() {
  const key = `${st.cursor}/${st.playing}`;
  if (key === announced || !st.layout) return;
  const ready = announced === null;
  announced = key;
  document.dispatchEvent(new CustomEvent("synack:state", { detail: { ready, cursor: st.cursor, steps: st.layout.steps.length, playing: st.playing } }));
}

// Commands from embed.js (the framing page's play, pause, step, seek; steps from 1), and
// the figures' seeks (plots.js). A lab takes only its own figures' seeks: a framing
// page does not drive a lab.
document.addEventListener("synack:command", (e) => {
  const c = e.detail;
  if (!st.layout || (lab && !(c.source === "plots" && c.cmd === "seek"))) return;
  switch (c.cmd) {
    case "play": play(); break;
    case "pause": pause(); break;
    case "step": pause(); seek(st.cursor + (c.by === -1 ? -1 : 1)); break;
    case "seek": if (Number.isFinite(c.step)) { pause(); seek(c.step - 1); } break;
  }
});

// follow keeps the current step in view by scrolling the diagram box only, never the page.
function follow(i, smooth) {
  if (i < 0 || !st.layout.steps[i]) return;
  const svg = diagramBox.querySelector("svg");
  if (!svg) return;
  const scale = svg.getBoundingClientRect().width / st.layout.width || 1;
  const y = st.layout.steps[i].y * scale;
  const top = diagramBox.scrollTop, h = diagramBox.clientHeight;
  if (y > top + h * 0.25 && y < top + h * 0.75) return;
  const target = Math.max(0, y - h / 2);
  diagramBox.scrollTo({ top: target, behavior: smooth && !reduced() ? "smooth" : "auto" });
}
const reduced = () => window.matchMedia("(prefers-reduced-motion: reduce)").matches;

function markTranscript() {
  const ol = $("#transcript");
  if (!ol) return;
  // Only the lines between the old and the new cursor change.
  const lis = ol.children;
  const lo = Math.max(0, Math.min(lastCur ?? 0, st.cursor) - 1);
  const hi = lastCur == null ? lis.length - 1 : Math.min(lis.length - 1, Math.max(lastCur, st.cursor) + 1);
  for (let k = lo; k <= hi; k++) {
    const li = lis[k];
    const i = Number(li.dataset.step);
    li.classList.toggle("current", i === st.cursor);
    li.classList.toggle("future", i > st.cursor);
    if (i === st.cursor) li.setAttribute("aria-current", "step"); else li.removeAttribute("aria-current");
  }
  lastCur = st.cursor;
  const li = lis[st.cursor];
  if (li) {
    const top = li.offsetTop - ol.offsetTop;
    if (top < ol.scrollTop || top > ol.scrollTop + ol.clientHeight - li.offsetHeight) ol.scrollTop = top - ol.clientHeight / 2;
  }
}

// need asks for the bytes of the steps ahead of the cursor (the inspector shows them).
function need(i) {
  const n = st.layout.steps.length;
  if (lab || st.asked >= n - 1 || i + 100 < st.asked) return;
  st.asked = Math.min(n - 1, i + 200);
  send({ type: "seek", step: st.asked });
}

function select(id, quiet) {
  st.selected = id;
  st.view && st.view.highlight(id);
  const idx = st.layout.steps.findIndex((s) => s.segment === id);
  if (idx < 0) return;
  if (st.steps[idx]) inspector.show(st.steps[idx]);
  else {
    // Shown when its bytes arrive: a page that opens on a segment ("Click this SYN")
    // has it in the inspector without a click.
    st.wantSelect = id;
    if (!quiet && !lab) {
      st.asked = Math.max(st.asked, idx);
      send({ type: "seek", step: idx });
    }
  }
}

function buildTranscript(from) {
  const ol = $("#transcript");
  if (!ol) return;
  while (ol.children.length > from) ol.lastChild.remove();
  for (let i = from; i < st.layout.steps.length; i++) {
    const s = st.layout.steps[i];
    const li = document.createElement("li");
    li.dataset.step = i;
    li.className = "future";
    const a = document.createElement("a");
    a.href = "#";
    a.textContent = s.text[boot.lang] || s.text.en;
    li.appendChild(a);
    ol.appendChild(li);
  }
  lastCur = null;
}

// gate stops a forward move before the first unanswered question on the way, pauses and
// asks it; answering resumes what was going on.
function gate(to, resume) {
  if (!lesson || to <= st.cursor || following) return to;
  const q = lesson.pending(st.cursor, to);
  if (!q) return to;
  const wasPlaying = st.playing;
  stop();
  if (cls) {
    // The room asks it; the teacher's "continue" carries on to the step it is about.
    document.dispatchEvent(new CustomEvent("synack:ask", { detail: { index: boot.lesson.questions.indexOf(q), done: () => {
      lesson.settle(q);
      seek(q.step);
    } } }));
    return q.step - 1;
  }
  lesson.ask(q, () => {
    st.cursor = Math.max(st.cursor, q.step - 1);
    if (wasPlaying) play(); else if (resume) resume();
  });
  return q.step - 1;
}

// The clock. delay is how long step i stays before step i+1: a moment for every step
// (a short one when step i+1 happens at the same virtual instant: a call, its state change
// and the segment it sends read as one action), plus the virtual gap up to a second,
// divided by the speed. In the lab the new steps of an action all arrive before its deadline.
let timer = null;
function delay(i) {
  const a = st.layout.steps[i], b = st.layout.steps[i + 1];
  const gap = a && b ? Math.min((b.at_us - a.at_us) / 1000, 1000) : 0;
  let d = ((gap > 0 ? 250 : 100) + gap) / st.speed;
  if (lab) {
    const left = st.layout.steps.length - 1 - i;
    d = Math.min(d, Math.max(0, st.deadline - performance.now()) / Math.max(left, 1));
  }
  return d;
}

function schedule() {
  clearTimeout(timer);
  timer = null;
  if (!st.playing || !st.layout) return;
  if (st.cursor >= st.layout.steps.length - 1) {
    st.playing = false;
    render(false);
    return;
  }
  timer = setTimeout(tick, st.cursor < 0 ? 0 : delay(st.cursor));
}

function tick() {
  timer = null;
  if (!st.playing) return;
  const next = gate(st.cursor + 1);
  if (next === st.cursor) { render(false); return; }
  st.cursor = next;
  if (st.cursor >= st.layout.steps.length - 1) st.playing = false;
  render(true);
  schedule();
}

function stop() {
  st.playing = false;
  clearTimeout(timer);
  timer = null;
}

function seek(i) {
  if (!st.layout) return;
  i = gate(i, () => seek(i));
  st.cursor = Math.max(lab ? -1 : 0, Math.min(i, st.layout.steps.length - 1));
  render(false);
}

function play() {
  if (!st.layout) return;
  if (!performance.getEntriesByName("synack-play").length) performance.mark("synack-play");
  if (st.cursor >= st.layout.steps.length - 1) st.cursor = 0;
  st.playing = true;
  render(false);
  schedule();
}

function pause() {
  stop();
  render(false);
}

function now() {
  stop();
  if (st.layout) st.cursor = st.layout.steps.length - 1;
  render(false);
}

function updateURL() {
  const u = new URL(location.href);
  if (st.cursor > 0) u.searchParams.set("step", st.cursor + 1);
  else u.searchParams.delete("step");
  if (st.speed !== 1) u.searchParams.set("speed", st.speed); else u.searchParams.delete("speed");
  if (st.relative) u.searchParams.set("numbers", "relative"); else u.searchParams.delete("numbers");
  u.searchParams.delete("autoplay");
  if (u.href !== location.href) history.replaceState(null, "", u);
}

// shareURL is the address to give to someone else: this view's state, without what
// belongs to the sharer's screen (width: a phone's narrow drawing is chosen by the
// reader's own screen when the page opens).
function shareURL() {
  updateURL();
  const u = new URL(location.href);
  u.searchParams.delete("width");
  return u;
}

async function copy(text) {
  const out = $("[data-testid=share-output]");
  try {
    await navigator.clipboard.writeText(text);
    if (out) out.textContent = T("player.copied");
  } catch {
    if (out) out.textContent = text;
  }
}

document.addEventListener("click", (e) => {
  const b = e.target.closest("[data-action],[data-lab],#transcript a");
  if (!b) return;
  if (b.matches("#transcript a")) {
    e.preventDefault();
    pause();
    seek(Number(b.parentElement.dataset.step));
    return;
  }
  if (b.dataset.lab) {
    if (b.dataset.lab === "reset") {
      stop();
      send({ type: "lab-start", query: boot.query });
      return;
    }
    send({ type: "lab", action: { endpoint: b.dataset.lab, op: b.dataset.op, dir: b.dataset.dir || "", delay: b.dataset.delay || "", bytes: Number(b.dataset.bytes) || 0 } });
    return;
  }
  switch (b.dataset.action) {
    case "restart": pause(); seek(0); break;
    case "back": pause(); seek(st.cursor - 1); break;
    case "forward": pause(); seek(st.cursor + 1); break;
    case "play": st.playing ? pause() : play(); break;
    case "now": now(); break;
    case "copy-link": {
      updateURL();
      copy(shareURL().href);
      break;
    }
    case "copy-embed": {
      const u = shareURL();
      u.pathname = "/embed" + u.pathname;
      // An embed starts where its story starts unless the sharer asks for this step.
      const at = $("[data-testid=embed-step]");
      if (!at || !at.checked) u.searchParams.delete("step");
      u.searchParams.set("autoplay", "1");
      // The iframe, and the line that lets the embed set its own height.
      const id = `synack-${boot.scenario}`;
      copy(`<iframe id="${id}" src="${u.href}" width="100%" height="720" style="border:0" title="${document.title.replace(/"/g, "")}" loading="lazy"></iframe>
<script>addEventListener("message", (e) => { const f = document.getElementById("${id}");
  if (f && e.source === f.contentWindow && e.data && e.data.type === "synack:height") f.height = e.data.height; });</script>`);
      break;
    }
  }
});

document.addEventListener("change", (e) => {
  const a = e.target.dataset.action;
  if (a === "speed") {
    st.speed = Number(e.target.value);
    if (st.playing) schedule();
    render(false);
  } else if (a === "numbers") {
    st.relative = e.target.value === "relative";
    st.view && st.view.setRelative(st.relative);
    render(false);
  }
});

// A student's player goes where the room says.
document.addEventListener("synack:goto", (e) => {
  stop();
  st.cursor = Math.max(0, e.detail.step);
  if (!st.layout) return;
  st.cursor = Math.min(st.cursor, st.layout.steps.length - 1);
  render(!reduced());
});

document.addEventListener("keydown", (e) => {
  if (e.target.closest("input,select,textarea,#question") || e.altKey || e.ctrlKey || e.metaKey) return;
  if (lab || following) return;
  switch (e.key) {
    case "ArrowRight": e.preventDefault(); pause(); seek(st.cursor + 1); break;
    case "ArrowLeft": e.preventDefault(); pause(); seek(st.cursor - 1); break;
    case " ": if (e.target.closest("button,[role=button],summary,a")) return; e.preventDefault(); st.playing ? pause() : play(); break;
    case "Home": e.preventDefault(); pause(); seek(0); break;
    case "End": e.preventDefault(); pause(); seek(Infinity); break;
  }
});

// The lane names stay in view: once the diagram's own lane labels scroll away, a header
// row above the box shows them at the lanes' x.
if (wrap && heads) {
  const sync = () => {
    wrap.classList.toggle("scrolled", diagramBox.scrollTop > 30);
    heads.style.right = `${diagramBox.offsetWidth - diagramBox.clientWidth}px`;
  };
  diagramBox.addEventListener("scroll", sync, { passive: true });
  sync();
}

const numbers = $("[data-action=numbers]");
if (numbers) numbers.value = st.relative ? "relative" : "absolute";
if (boot.layout && !lab) receive({ type: "init", layout: boot.layout });
connect();
// Every listener is attached and the first step drawn: a test (or a framing page) may
// now press the controls. The server already drew that step, so the page looks ready
// before this line runs.
document.documentElement.dataset.player = "ready";
