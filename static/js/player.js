// The player: one cursor over the steps the server has streamed. It opens /ws, starts the
// scenario (or the lab), keeps every step it receives so stepping back never refetches,
// and renders render(stateAt(cursor)) on every change.
import { mountDiagram } from "./diagram.js";
import { mountStates } from "./states.js";
import { mountInspector } from "./inspector.js";
import { mountLesson } from "./lesson.js";
import { mountTcpdump } from "./tcpdump.js";

const boot = JSON.parse(document.getElementById("boot").textContent);
const T = (k) => boot.strings[k] || k;
const $ = (s) => document.querySelector(s);

const st = {
  layout: null, steps: [], cursor: -1, playing: false, speed: boot.speed || 1,
  relative: !!boot.relative, selected: null, wantStep: boot.step, view: null,
};

const diagramBox = $("#diagram");
const states = mountStates($("#states"), { label: T("player.states") });
const inspector = mountInspector($("#inspector"), { strings: boot.strings });
const lesson = boot.lesson ? mountLesson(boot.lesson, { strings: boot.strings }) : null;
const tcpdump = mountTcpdump(document.getElementById("tcpdump"), boot.tcpdump);
const controls = $(".controls");
if (controls) controls.hidden = false;

let ws;
function connect() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  ws = new WebSocket(`${proto}//${location.host}/ws`);
  ws.onopen = () => {
    if (boot.mode === "lab") ws.send(JSON.stringify({ type: "lab-start", query: boot.query }));
    else ws.send(JSON.stringify({ type: "start", scenario: boot.scenario, query: boot.query, step: boot.step }));
  };
  ws.onmessage = (e) => receive(JSON.parse(e.data));
  ws.onclose = (e) => {
    if (e.code !== 1000) status(T("player.lost"));
  };
}

function send(m) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m));
}

function status(text) {
  const out = $("[data-testid=lab-error]") || $("[data-testid=stepno]");
  if (out) out.textContent = text;
}

function receive(m) {
  switch (m.type) {
    case "init": {
      st.layout = m.layout;
      st.steps.length = m.from || 0;
      st.view = mountDiagram(diagramBox, st.layout, { lang: boot.lang, relative: st.relative, onSelect: select, title: document.title });
      if (boot.mode === "lab") {
        buildTranscript();
        st.cursor = Math.min(st.cursor, (m.from || 0) - 1);
      } else if (st.wantStep < 0 && !boot.autoplay) {
        // Without a step in the URL the page shows the whole story: fetch every step.
        send({ type: "seek", step: st.layout.steps.length - 1 });
      }
      if (boot.autoplay && boot.mode !== "lab") play();
      render(false);
      break;
    }
    case "steps":
      for (const s of m.steps) st.steps[s.index] = s;
      if (st.wantStep >= 0 && st.steps.length > st.wantStep) {
        st.cursor = st.wantStep;
        st.wantStep = -1;
        render(false);
      } else if (st.wantStep < 0 && !st.playing && st.cursor < 0 && boot.mode !== "lab" && st.steps.length === st.layout.steps.length && !boot.autoplay) {
        st.cursor = st.steps.length - 1;
        render(false);
      } else if (st.playing || boot.mode === "lab") {
        st.cursor = gate(st.steps.length - 1);
        render(true);
      }
      break;
    case "end":
      st.playing = false;
      render(false);
      break;
    case "lab-state":
      for (const [k, v] of Object.entries({ client: m.client, server: m.server })) {
        const o = document.querySelector(`[data-state-of=${k}]`);
        if (o) o.textContent = v;
      }
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

// stateAt returns each main endpoint's state (and the state before it) at the cursor.
function stateAt(cursor) {
  const out = new Map();
  if (!st.layout) return [];
  for (const ln of st.layout.lanes) if (ln.role !== "attacker") out.set(ln.name, { endpoint: ln.name, state: "CLOSED", from: null });
  for (let i = 0; i <= cursor && i < st.layout.steps.length; i++) {
    const s = st.layout.steps[i];
    if (s.kind === "state" && out.has(s.lane)) out.set(s.lane, { endpoint: s.lane, state: s.state, from: i === cursor || out.get(s.lane).justNow ? s.from : s.from });
  }
  return [...out.values()];
}

function render(animate) {
  if (!st.view) return;
  const n = st.layout.steps.length;
  st.view.show(st.cursor, { animate });
  st.view.scrollTo(st.cursor);
  states.set(stateAt(st.cursor));
  if (lesson) lesson.show(st.cursor);
  tcpdump.show(st.cursor, st.relative);
  const no = $("[data-testid=stepno]");
  if (no && boot.mode !== "lab") no.textContent = `${T("player.step")} ${st.cursor + 1} ${T("player.of")} ${n}`;
  const play = $("[data-action=play]");
  if (play) {
    play.textContent = st.playing ? "❚❚" : "▶";
    play.setAttribute("aria-label", st.playing ? T("player.pause") : T("player.play"));
  }
  for (const li of document.querySelectorAll("#transcript li")) {
    const on = Number(li.dataset.step) === st.cursor;
    li.classList.toggle("current", on);
    li.classList.toggle("future", Number(li.dataset.step) > st.cursor);
    if (on) li.setAttribute("aria-current", "step"); else li.removeAttribute("aria-current");
  }
  const cur = st.layout.steps[st.cursor];
  if (cur && cur.kind === "segment" && st.steps[st.cursor]) select(cur.segment, true);
  if (boot.mode !== "lab") updateURL();
}

function select(id, quiet) {
  st.selected = id;
  st.view && st.view.highlight(id);
  const idx = st.layout.steps.findIndex((s) => s.segment === id);
  if (idx >= 0 && st.steps[idx]) inspector.show(st.steps[idx]);
  else if (idx >= 0 && !quiet) send({ type: "seek", step: idx });
}

function buildTranscript() {
  const ol = $("#transcript");
  if (!ol) return;
  ol.textContent = "";
  st.layout.steps.forEach((s, i) => {
    const li = document.createElement("li");
    li.dataset.step = i;
    const a = document.createElement("a");
    a.href = "#";
    a.textContent = s.text[boot.lang] || s.text.en;
    li.appendChild(a);
    ol.appendChild(li);
  });
}

// gate stops a forward move before the first unanswered question on the way, pauses and
// asks it; answering resumes what was going on.
function gate(to, resume) {
  if (!lesson || to <= st.cursor) return to;
  const q = lesson.pending(st.cursor, to);
  if (!q) return to;
  const wasPlaying = st.playing;
  st.playing = false;
  clearTimeout(localTimer);
  send({ type: "pause" });
  lesson.ask(q, () => {
    st.cursor = Math.max(st.cursor, q.step - 1);
    if (wasPlaying) play(); else if (resume) resume();
  });
  return q.step - 1;
}

function seek(i) {
  if (!st.layout) return;
  i = gate(i, () => seek(i));
  i = Math.max(-1, Math.min(i, st.layout.steps.length - 1));
  if (i >= st.steps.length) {
    st.wantStep = i;
    send({ type: "seek", step: i });
    return;
  }
  st.cursor = i;
  render(false);
}

function play() {
  if (!st.layout) return;
  if (st.cursor >= st.layout.steps.length - 1) st.cursor = -1;
  st.playing = true;
  // Steps already received play locally first; the server streams the rest.
  if (st.cursor + 1 < st.steps.length) localPlay();
  else send({ type: "play" });
  render(false);
}

let localTimer = null;
function localPlay() {
  clearTimeout(localTimer);
  if (!st.playing) return;
  if (st.cursor + 1 >= st.steps.length) {
    if (st.steps.length < st.layout.steps.length) send({ type: "play" });
    else st.playing = false;
    render(false);
    return;
  }
  const next = gate(st.cursor + 1);
  if (next === st.cursor) { render(false); return; }
  st.cursor = next;
  render(true);
  const a = st.layout.steps[st.cursor], b = st.layout.steps[st.cursor + 1];
  const gapMs = b ? Math.min((b.at_us - a.at_us) / 1000, 1000) : 0;
  localTimer = setTimeout(localPlay, (250 + gapMs) / st.speed);
}

function pause() {
  st.playing = false;
  clearTimeout(localTimer);
  send({ type: "pause" });
  render(false);
}

function updateURL() {
  const u = new URL(location.href);
  if (st.cursor >= 0 && st.cursor < st.layout.steps.length - 1) u.searchParams.set("step", st.cursor);
  else u.searchParams.delete("step");
  if (st.speed !== 1) u.searchParams.set("speed", st.speed); else u.searchParams.delete("speed");
  if (st.relative) u.searchParams.set("numbers", "relative"); else u.searchParams.delete("numbers");
  u.searchParams.delete("autoplay");
  history.replaceState(null, "", u);
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
      send({ type: "lab-start", query: boot.query });
      st.cursor = -1;
      return;
    }
    send({ type: "lab", action: { endpoint: b.dataset.lab, op: b.dataset.op, dir: b.dataset.dir || "", delay: b.dataset.delay || "" } });
    return;
  }
  switch (b.dataset.action) {
    case "restart": pause(); seek(-1); break;
    case "back": pause(); seek(st.cursor - 1); break;
    case "forward": pause(); seek(st.cursor + 1); break;
    case "play": st.playing ? pause() : play(); break;
    case "copy-link": {
      updateURL();
      copy(location.href);
      break;
    }
    case "copy-embed": {
      const u = new URL(location.href);
      u.pathname = "/embed" + u.pathname;
      u.searchParams.set("autoplay", "1");
      copy(`<iframe src="${u.href}" width="100%" height="720" style="border:0" title="${document.title.replace(/"/g, "")}" loading="lazy"></iframe>`);
      break;
    }
  }
});

document.addEventListener("change", (e) => {
  const a = e.target.dataset.action;
  if (a === "speed") {
    st.speed = Number(e.target.value);
    send({ type: "speed", speed: st.speed });
    render(false);
  } else if (a === "numbers") {
    st.relative = e.target.value === "relative";
    st.view && st.view.setRelative(st.relative);
    render(false);
  }
});

document.addEventListener("keydown", (e) => {
  if (e.target.closest("input,select,textarea,#question") || e.altKey || e.ctrlKey || e.metaKey) return;
  if (boot.mode === "lab") return;
  switch (e.key) {
    case "ArrowRight": e.preventDefault(); pause(); seek(st.cursor + 1); break;
    case "ArrowLeft": e.preventDefault(); pause(); seek(st.cursor - 1); break;
    case " ": if (e.target.closest("button,[role=button]")) return; e.preventDefault(); st.playing ? pause() : play(); break;
    case "Home": e.preventDefault(); pause(); seek(-1); break;
  }
});

const numbers = $("[data-action=numbers]");
if (numbers) numbers.value = st.relative ? "relative" : "absolute";
connect();
