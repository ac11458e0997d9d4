// The embed's side of the page that frames it (web/PROTOCOL.md, "The embed API").
//
// Out, to the parent only: synack:ready, synack:step, synack:answer, synack:height (and,
// in an LTI launch, Canvas's lti.frameResize). In, from the parent only: synack:play,
// synack:pause, synack:step, synack:seek, synack:set. Steps are counted from 1, as in the
// address (?step=5). The player (player.js) stays the one clock: this module turns
// messages into "synack:command" events for it and its "synack:state" and
// "synack:answer" events into messages.
const framed = window.parent !== window;

// The parent's origin: what the browser says framed us (ancestorOrigins, else the
// referrer's origin), else the origin of the parent's first command. A parent opened from
// a file has an opaque origin (reported as "null" or "file://"), which no targetOrigin
// can name: then "*" (the message still goes to window.parent alone).
let parentOrigin = null;
if (framed) {
  try {
    if (location.ancestorOrigins && location.ancestorOrigins.length) parentOrigin = location.ancestorOrigins[0];
    else if (document.referrer) parentOrigin = new URL(document.referrer).origin;
  } catch { parentOrigin = null; }
}
const named = (o) => typeof o === "string" && /^https?:\/\//.test(o);
const target = () => (named(parentOrigin) ? parentOrigin : "*");
const post = (m) => { if (framed) window.parent.postMessage(m, target()); };

// An LTI launch hands the page its grade token in the fragment (#lti=…): kept for the
// tab, taken out of the address so it is never copied or shared.
const ltiKey = "synack-lti:" + location.pathname;
let lti = null;
{
  const h = new URLSearchParams(location.hash.slice(1));
  if (h.has("lti")) {
    lti = { token: h.get("lti") };
    try { sessionStorage.setItem(ltiKey, JSON.stringify(lti)); } catch {}
    history.replaceState(history.state, "", location.pathname + location.search);
  } else {
    try { lti = JSON.parse(sessionStorage.getItem(ltiKey) || "null"); } catch { lti = null; }
  }
}

// Height: on load and whenever it changes, so the course page can size the iframe.
if (framed) {
  let last = 0;
  const height = () => {
    const h = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (h === last) return;
    last = h;
    post({ type: "synack:height", height: h });
    // Canvas sizes tool frames from this message (not part of LTI; its apps ignore it).
    if (lti) window.parent.postMessage(JSON.stringify({ subject: "lti.frameResize", height: h }), "*");
  };
  new ResizeObserver(height).observe(document.documentElement);
  window.addEventListener("load", height);
  height();
}

// Commands from the parent, and only from it.
const commands = new Set(["play", "pause", "step", "seek", "set"]);
window.addEventListener("message", (e) => {
  if (!framed || e.source !== window.parent) return;
  const m = e.data;
  if (!m || typeof m !== "object" || typeof m.type !== "string" || !m.type.startsWith("synack:")) return;
  const cmd = m.type.slice(7);
  if (!commands.has(cmd)) return;
  if (named(parentOrigin) && e.origin !== parentOrigin) return;
  if (!parentOrigin) parentOrigin = e.origin;
  if (cmd === "set") return set(m.params);
  document.dispatchEvent(new CustomEvent("synack:command", { detail: { cmd, step: m.step, by: m.by } }));
});

// set changes the run's parameters: a new run is a new address (every view's state is
// in its URL), so the embed reloads itself with them.
const settable = ["rtt", "profile", "seed", "drop", "lang", "speed", "numbers", "view", "width", "autoplay"];
function set(params) {
  if (!params || typeof params !== "object") return;
  const u = new URL(location.href);
  for (const k of settable) {
    if (!(k in params)) continue;
    if (params[k] === null || params[k] === "") u.searchParams.delete(k);
    else u.searchParams.set(k, String(params[k]));
  }
  u.searchParams.delete("step");
  location.replace(u);
}

document.addEventListener("synack:state", (e) => {
  const d = e.detail;
  post({ type: d.ready ? "synack:ready" : "synack:step", step: d.cursor + 1, steps: d.steps, playing: d.playing });
});

// Answers: to the parent, and in an LTI launch to the gradebook.
const answers = {};
document.addEventListener("synack:answer", (e) => {
  const d = e.detail;
  post({ type: "synack:answer", question: d.question, step: d.step + 1, choice: d.choice, correct: d.correct });
  if (!lti || !lti.token) return;
  answers[d.question] = d.choice;
  fetch("/lti/score", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ token: lti.token, answers, lang: document.documentElement.lang }),
  }).then((r) => r.json()).then((res) => note(res.message)).catch(() => note(""));
});

function note(text) {
  let p = document.querySelector("[data-testid=lti-status]");
  if (!p) {
    p = document.createElement("p");
    p.className = "lti-status";
    p.setAttribute("role", "status");
    p.dataset.testid = "lti-status";
    (document.querySelector(".narration") || document.querySelector("main")).appendChild(p);
  }
  p.textContent = text;
}
