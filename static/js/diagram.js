// Draws a layout computed by the server (engine/diagram) as SVG. It lays nothing out:
// every coordinate comes from the layout. render is a function of (layout, step).
const NS = "http://www.w3.org/2000/svg";

function el(name, attrs, parent) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

function stateClass(s) {
  switch (s) {
    case "CLOSED": return "sa-st-closed";
    case "LISTEN": return "sa-st-listen";
    case "SYN-SENT": case "SYN-RECEIVED": return "sa-st-syn";
    case "ESTABLISHED": return "sa-st-est";
    case "TIME-WAIT": return "sa-st-tw";
  }
  return "sa-st-close";
}

const reduced = () => window.matchMedia("(prefers-reduced-motion: reduce)").matches;

export function mountDiagram(container, layout, opts) {
  const lang = opts.lang || "en";
  let relative = !!opts.relative;
  let onSelect = opts.onSelect || (() => {});
  container.textContent = "";
  const svg = el("svg", { viewBox: `0 0 ${layout.width} ${layout.height}`, width: layout.width, height: layout.height,
    role: "img", "data-scenario": layout.scenario, class: "sa-live" }, container);
  el("title", {}, svg).textContent = opts.title || layout.scenario;
  const defs = el("defs", {}, svg);
  const mk = el("marker", { id: "sa-arrow-live", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 8, markerHeight: 8, orient: "auto-start-reverse" }, defs);
  el("path", { d: "M0,0L10,5L0,10z", fill: "context-stroke" }, mk);
  el("rect", { class: "sa-bg", x: 0, y: 0, width: layout.width, height: layout.height }, svg);
  for (const t of layout.ticks || []) {
    const g = el("g", { class: "sa-tick" }, svg);
    el("line", { x1: 0, x2: layout.width, y1: t.y, y2: t.y }, g);
    el("text", { x: 4, y: t.y - 3 }, g).textContent = t.label;
  }
  for (const gp of layout.gaps || []) {
    const g = el("g", { class: "sa-gap" }, svg);
    el("rect", { x: 60, y: gp.y1, width: layout.width - 120, height: Math.max(gp.y2 - gp.y1, 1), rx: 4 }, g);
    el("text", { x: layout.width / 2, y: (gp.y1 + gp.y2) / 2 + 4, "text-anchor": "middle" }, g).textContent = `⋯ ${gp.real} ⋯`;
  }
  const role = {};
  for (const ln of layout.lanes) {
    role[ln.name] = ln.role;
    el("line", { class: "sa-lane", x1: ln.x, x2: ln.x, y1: 50, y2: layout.height - 40 }, svg);
    const g = el("g", { class: "sa-lane-label" }, svg);
    el("rect", { class: "sa-lane-head", x: ln.x - 65, y: 8, width: 130, height: 26, rx: 6 }, g);
    el("text", { class: "sa-lane-name", x: ln.x, y: 26, "text-anchor": "middle" }, g).textContent = ln.name;
    el("text", { class: "sa-lane-addr", x: ln.x, y: 50, "text-anchor": "middle" }, g).textContent = ln.addr;
  }
  const items = [];
  const segs = new Map();
  const anchor = (side) => (side < 0 ? "end" : "start");
  for (const it of layout.items) {
    let g;
    if (it.kind === "segment") {
      const cls = ["sa-seg", "sa-from-" + (role[it.src] || "")];
      if (it.retransmit) cls.push("sa-retransmit");
      if (it.fate !== "delivered") cls.push("sa-dropped");
      const step = layout.steps[it.step];
      g = el("g", { class: cls.join(" "), "data-segment": (it.flags || []).join(" "), "data-id": it.id, tabindex: 0, role: "button",
        "aria-label": step.text[lang] || step.text.en }, svg);
      const attrs = { x1: it.x1, y1: it.y1, x2: it.x2, y2: it.y2 };
      if (it.fate === "delivered") attrs["marker-end"] = "url(#sa-arrow-live)";
      const line = el("line", attrs, g);
      const len = Math.hypot(it.x2 - it.x1, it.y2 - it.y1);
      line.style.setProperty("--len", len);
      if (it.fate !== "delivered") el("path", { class: "sa-cross", d: `M${it.x2 - 5},${it.y2 - 5}l10,10m0,-10l-10,10` }, g);
      const label = el("text", { x: it.lx, y: it.ly, "text-anchor": "middle", transform: `rotate(${it.angle} ${it.lx} ${it.ly})` }, g);
      el("title", {}, g).textContent = step.text[lang] || step.text.en;
      const pick = () => onSelect(it.id);
      g.addEventListener("click", pick);
      g.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); pick(); } });
      segs.set(it.id, g);
      items.push({ it, g, label, line });
      continue;
    }
    if (it.kind === "state") {
      g = el("g", { class: "sa-state " + stateClass(it.state), "data-state": it.state, "data-lane": it.lane }, svg);
      const rect = el("rect", { x: it.x1 - 4, y: it.y1, width: 8, height: Math.max(it.y2 - it.y1, 2) }, g);
      el("text", { x: it.lx, y: it.ly + 4, "text-anchor": anchor(it.side) }, g).textContent = it.state;
      el("title", {}, g).textContent = `${it.lane}: ${it.state}`;
      items.push({ it, g, rect });
      continue;
    }
    if (it.kind === "timer") {
      g = el("g", { class: "sa-timer", "data-timer": it.state }, svg);
      const path = el("path", {}, g);
      const x = it.x1 + it.side * 175;
      const text = el("text", { "text-anchor": "middle" }, g);
      text.textContent = `${it.state} ${it.label || ""}`.trim();
      el("title", {}, g).textContent = `${(it.text && (it.text[lang] || it.text.en)) || it.state} ${it.label || ""}`;
      items.push({ it, g, path, text, x });
      continue;
    }
    if (it.kind === "app" || it.kind === "note") {
      g = el("g", { class: "sa-" + it.kind }, svg);
      el("text", { x: it.lx + it.side * 92, y: it.ly + 4, "text-anchor": anchor(it.side) }, g).textContent = it.text[lang] || it.text.en;
      items.push({ it, g });
      continue;
    }
    if (it.kind === "queue") {
      g = el("g", { class: "sa-queue", "data-syn-queue": it.x2 }, svg);
      let x = it.lx + it.side * 100;
      if (it.side < 0) x -= 60;
      const frac = it.id > 0 ? Math.min(it.x2 / it.id, 1) : 0;
      el("rect", { class: "sa-q-bg", x, y: it.ly - 4, width: 60, height: 8 }, g);
      el("rect", { class: "sa-q-fill", x, y: it.ly - 4, width: 60 * frac, height: 8 }, g);
      el("text", { x: x + 64, y: it.ly + 4 }, g).textContent = it.label;
      items.push({ it, g });
    }
  }
  let current = -1;
  function stepY(i) {
    if (i < 0) return 50;
    return layout.steps[Math.min(i, layout.steps.length - 1)].y;
  }
  function labels() {
    for (const x of items) if (x.label) x.label.textContent = (relative ? x.it.label_rel : x.it.label) + (x.it.extra ? " · " + x.it.extra : "");
  }
  labels();
  function show(step, o) {
    const animate = o && o.animate && !reduced();
    const y = stepY(step);
    for (const x of items) {
      const it = x.it;
      const visible = it.step <= step;
      x.g.classList.toggle("sa-hidden", !visible);
      x.g.classList.toggle("sa-current", it.step === step);
      if (!visible) continue;
      if (x.rect) {
        const open = it.end < 0 || it.end > step;
        const y2 = open ? Math.max(y, it.y1 + 2) : it.y2;
        x.rect.setAttribute("height", Math.max(y2 - it.y1, 2));
      }
      if (x.path) {
        const open = it.end < 0 || it.end > step;
        const y2 = open ? Math.max(Math.min(y, it.y2), it.y1 + 2) : Math.max(it.y2, it.y1 + 2);
        const s = it.side;
        x.path.setAttribute("d", `M${x.x - 4 * s},${it.y1}h${4 * s}V${y2}h${-4 * s}`);
        const mid = (it.y1 + y2) / 2;
        x.text.setAttribute("x", x.x + s * 10);
        x.text.setAttribute("y", mid);
        x.text.setAttribute("transform", `rotate(-90 ${x.x + s * 10} ${mid})`);
      }
      if (x.line && animate && it.step === step) {
        x.line.classList.remove("sa-draw");
        void x.line.getBoundingClientRect();
        x.line.classList.add("sa-draw");
      }
    }
    current = step;
  }
  function highlight(id) {
    for (const [k, g] of segs) g.classList.toggle("sa-selected", k === id);
  }
  function scrollTo(step) {
    if (step < 0) return;
    const y = stepY(step);
    const box = container.getBoundingClientRect();
    const scale = box.width / layout.width || 1;
    const target = y * scale - container.clientHeight / 2;
    container.scrollTo({ top: Math.max(0, target), behavior: reduced() ? "auto" : "smooth" });
  }
  return {
    show, highlight, scrollTo,
    setRelative(r) { relative = r; labels(); },
    get current() { return current; },
    segmentElement(id) { return segs.get(id); },
  };
}
