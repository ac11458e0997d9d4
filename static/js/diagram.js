// Draws a layout computed by the server (engine/diagram) as SVG. It lays nothing out and
// computes no offsets: every coordinate, text anchor and rotation comes from the layout,
// and the element structure is the one engine/diagram.WriteLive writes, so a page can
// server-render the diagram at its starting step and this module adopts that DOM.
//
// mountDiagram(container, layout, opts) → view
//   opts: { lang, relative, title, onSelect(segmentID) }
//   If container already holds <svg class="sa-live"> for this scenario (written by
//   diagram.WriteLive), it is adopted — its elements are bound by their data-item index —
//   instead of being cleared and rebuilt, so the player continues with no layout shift.
// view.show(step, {animate})  show items up to step (-1: none); state bands and timer
//                             brackets grow through one clip rect at steps[step].y
// view.highlight(segmentID)   mark one arrow as selected
// view.scrollTo(step)         bring a step into the middle of the container
// view.setRelative(bool)      switch segment labels to relative sequence numbers
// view.current                the step shown
// view.segmentElement(id)     the <g> of a segment's arrow
// view.patch(p)               apply a diagram.Patch (see engine/diagram/patch.go) from a
//                             growing trace (the lab): new and changed items, new steps,
//                             ticks and gaps, a new height
// view.layout                 the layout drawn (after patches)
const NS = "http://www.w3.org/2000/svg";
// ClipBelow in engine/diagram/svg.go: the clip reaches this far below the current step.
const CLIP_BELOW = 2;

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

function pick(t, lang, relative) {
  if (!t) return "";
  if (relative && lang === "zh" && t.rel_zh) return t.rel_zh;
  if (relative && t.rel) return t.rel;
  if (lang === "zh" && t.zh) return t.zh;
  return t.en;
}

function text(t, parent, lang, relative, cls) {
  if (!t) return null;
  const a = { x: t.x, y: t.y };
  if (cls) a.class = cls;
  if (t.anchor) a["text-anchor"] = t.anchor;
  if (t.rot) a.transform = `rotate(${t.rot} ${t.x} ${t.y})`;
  const e = el("text", a, parent);
  e.textContent = pick(t, lang, relative);
  return e;
}

function tr(t, lang) { return (t && (t[lang] || t.en)) || ""; }

export function mountDiagram(container, layout, opts) {
  const lang = opts.lang || "en";
  let relative = !!opts.relative;
  const onSelect = opts.onSelect || (() => {});
  // Words come from the page (the catalogue, opts.strings); a text with arguments is a
  // Go format whose %s, %d (or %[n]s) are filled in order.
  const S = opts.strings || {};
  const fmt = (k, ...args) => {
    let i = 0;
    return (S[k] || k).replace(/%(?:\[(\d+)\])?[sdgv]/g, (_, n) => String(args[n ? (i = +n) - 1 : i++]));
  };
  let svg = container.querySelector("svg.sa-live");
  // Adopt only the drawing of this very layout (same scenario, width and item count).
  const adopt = !!svg && svg.getAttribute("data-scenario") === layout.scenario &&
    +svg.getAttribute("width") === layout.width &&
    svg.querySelectorAll("[data-item]").length === layout.items.length;
  let items = [];
  const segs = new Map();
  let clip, bg, gridLayer, laneLines = [];
  const roles = {};
  const laneNames = {}; // each lane's name in the page's language
  for (const ln of layout.lanes) {
    roles[ln.name] = ln.role;
    laneNames[ln.name] = (ln.name_l && pick(ln.name_l, lang, false)) || ln.name;
  }

  function itemClass(it) {
    if (it.kind === "segment") {
      const c = ["sa-seg", "sa-from-" + (roles[it.src] || "")];
      if (it.retransmit) c.push("sa-retransmit");
      if (it.fate !== "delivered") c.push("sa-dropped");
      return c.join(" ");
    }
    if (it.kind === "state") return "sa-state " + stateClass(it.state);
    return "sa-" + it.kind;
  }

  function bindSegment(g, it) {
    const choose = () => onSelect(it.id);
    g.addEventListener("click", choose);
    g.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); choose(); } });
    segs.set(it.id, g);
  }

  // buildItem draws item i as WriteLive does; before, if given, is the element it replaces.
  function buildItem(i, before) {
    const it = layout.items[i];
    const g = el("g", { class: itemClass(it) + " sa-hidden", "data-item": i });
    if (before) before.replaceWith(g); else svg.appendChild(g);
    const x = { it, g };
    switch (it.kind) {
      case "state":
        g.setAttribute("data-state", it.state);
        g.setAttribute("data-lane", it.lane);
        el("rect", { "clip-path": "url(#sa-now-live)", x: it.bx, y: it.y1, width: 8, height: it.bh }, g);
        text(it.t, g, lang, false);
        el("title", {}, g).textContent = fmt("diagram.lane-state", laneNames[it.lane] || it.lane, it.state);
        break;
      case "segment": {
        const label = tr(layout.steps[it.step].text, lang);
        g.setAttribute("data-segment", (it.flags || []).join(" "));
        g.setAttribute("data-id", it.id);
        g.setAttribute("tabindex", 0);
        g.setAttribute("role", "button");
        g.setAttribute("aria-label", label);
        const a = { x1: it.x1, y1: it.y1, x2: it.x2, y2: it.y2 };
        if (it.fate === "delivered") a["marker-end"] = "url(#sa-arrow-live)";
        a.style = `--len:${it.len}`;
        x.line = el("line", a, g);
        if (it.d) el("path", { class: "sa-cross", d: it.d }, g);
        x.label = text(it.t, g, lang, relative);
        el("title", {}, g).textContent = label;
        bindSegment(g, it);
        break;
      }
      case "timer":
        g.setAttribute("data-timer", it.state);
        el("path", { "clip-path": "url(#sa-now-live)", d: it.d }, g);
        text(it.t, g, lang, false);
        el("title", {}, g).textContent = tr(it.text, lang);
        break;
      case "app": case "note":
        text(it.t, g, lang, false);
        el("title", {}, g).textContent = tr(it.text, lang);
        break;
      case "queue":
        g.setAttribute("data-syn-queue", it.synq || 0);
        if (!(it.bx < 0)) {
          el("rect", { class: "sa-q-bg", x: it.bx || 0, y: it.by || 0, width: 60, height: 8 }, g);
          el("rect", { class: "sa-q-fill", x: it.bx || 0, y: it.by || 0, width: it.bw || 0, height: 8 }, g);
        }
        text(it.t, g, lang, false);
        // A queue over its backlog (Linux holds backlog + 1) says why in its title.
        el("title", {}, g).textContent = fmt(it.backlog > 0 && it.synq > it.backlog ? "diagram.queue.over" : "diagram.queue", it.synq || 0, it.backlog || 0, it.acceptq || 0);
        break;
      case "bundle":
        g.setAttribute("data-count", it.count || 0);
        el("rect", { x: it.bx, y: it.y1, width: it.bw, height: it.bh, rx: 3 }, g);
        el("line", { x1: it.x1, y1: it.y1, x2: it.x2, y2: it.y2, "marker-end": "url(#sa-arrow-live)" }, g);
        text(it.t, g, lang, false);
        el("title", {}, g).textContent = tr(layout.steps[it.step].text, lang);
        break;
    }
    items[i] = x;
  }

  function drawGrid() {
    gridLayer.textContent = "";
    for (const t of layout.ticks || []) {
      const g = el("g", { class: "sa-tick" }, gridLayer);
      el("line", { x1: 0, x2: layout.width, y1: t.y, y2: t.y }, g);
      text(t.t, g, lang, false);
    }
    for (const gp of layout.gaps || []) {
      const g = el("g", { class: "sa-gap" }, gridLayer);
      el("rect", { x: gp.x, y: gp.y1, width: gp.w, height: Math.max(gp.y2 - gp.y1, 1), rx: 4 }, g);
      text(gp.t, g, lang, false);
      el("title", {}, g).textContent = fmt("diagram.gap", gp.real);
    }
  }

  function size() {
    svg.setAttribute("viewBox", `0 0 ${layout.width} ${layout.height}`);
    svg.setAttribute("width", layout.width);
    svg.setAttribute("height", layout.height);
    bg.setAttribute("height", layout.height);
    for (const l of laneLines) l.setAttribute("y2", layout.lane_bottom);
  }

  let truncEl = null;
  function drawTrunc() {
    if (truncEl) truncEl.remove();
    truncEl = text(layout.trunc_l, svg, lang, false, "sa-lane-addr sa-trunc");
  }
  function buildAll() {
    const old = container.querySelector("svg.sa-live");
    if (old) old.remove(); else container.textContent = "";
    items = [];
    segs.clear();
    laneLines = [];
    for (const ln of layout.lanes) roles[ln.name] = ln.role;
    svg = el("svg", { role: "group", "data-scenario": layout.scenario, class: "sa-live" }, container);
    el("title", {}, svg).textContent = opts.title || layout.scenario;
    const defs = el("defs", {}, svg);
    const mk = el("marker", { id: "sa-arrow-live", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 8, markerHeight: 8, orient: "auto-start-reverse" }, defs);
    el("path", { d: "M0,0L10,5L0,10z", fill: "context-stroke" }, mk);
    const cp = el("clipPath", { id: "sa-now-live" }, defs);
    clip = el("rect", { x: 0, y: 0, width: layout.width, height: 0 }, cp);
    bg = el("rect", { class: "sa-bg", x: 0, y: 0, width: layout.width, height: layout.height }, svg);
    gridLayer = el("g", { class: "sa-grid" }, svg);
    drawGrid();
    for (const ln of layout.lanes) {
      laneLines.push(el("line", { class: "sa-lane", x1: ln.x, x2: ln.x, y1: layout.lane_top, y2: layout.lane_bottom }, svg));
      const g = el("g", { class: "sa-lane-label" }, svg);
      el("rect", { class: "sa-lane-head", x: ln.head[0], y: ln.head[1], width: ln.head[2], height: ln.head[3], rx: 6 }, g);
      text(ln.name_l, g, lang, false, "sa-lane-name");
      text(ln.addr_l, g, lang, false, "sa-lane-addr");
    }
    layout.items.forEach((_, i) => buildItem(i));
    truncEl = null;
    drawTrunc();
    size();
  }

  if (adopt) {
    clip = svg.querySelector("#sa-now-live rect");
    bg = svg.querySelector("rect.sa-bg");
    laneLines = [...svg.querySelectorAll("line.sa-lane")];
    gridLayer = svg.querySelector("g.sa-grid");
    truncEl = svg.querySelector("text.sa-trunc");
    for (const g of svg.querySelectorAll("[data-item]")) {
      const i = +g.getAttribute("data-item");
      const it = layout.items[i];
      const x = { it, g, line: g.querySelector("line"), label: it.kind === "segment" ? g.querySelector("text") : null };
      if (it.kind === "segment") bindSegment(g, it);
      items[i] = x;
    }
  } else {
    buildAll();
  }

  let current = adopt ? +(svg.getAttribute("data-step") ?? -1) : -1;
  function stepY(i) {
    if (i < 0 || !layout.steps.length) return 0;
    return layout.steps[Math.min(i, layout.steps.length - 1)].y;
  }
  function labels() {
    for (const x of items) if (x && x.label) x.label.textContent = pick(x.it.t, lang, relative);
  }
  if (adopt && relative !== (svg.getAttribute("data-relative") === "1")) labels();
  function show(step, o) {
    const animate = o && o.animate && !reduced();
    clip.setAttribute("height", step < 0 ? 0 : stepY(step) + CLIP_BELOW);
    for (const x of items) {
      if (!x) continue;
      const it = x.it;
      const visible = it.step <= step;
      x.g.classList.toggle("sa-hidden", !visible);
      x.g.classList.toggle("sa-current", it.step === step);
      if (x.line && it.kind === "segment") {
        // The arrowhead comes when the line has arrived, not before it.
        if (x.marker === undefined) x.marker = x.line.getAttribute("marker-end");
        if (visible && animate && it.step === step) {
          x.line.classList.remove("sa-draw");
          if (x.marker) x.line.removeAttribute("marker-end");
          void x.line.getBoundingClientRect();
          x.line.classList.add("sa-draw");
          if (x.marker) x.line.addEventListener("animationend", () => x.line.setAttribute("marker-end", x.marker), { once: true });
        } else if (x.marker && !x.line.hasAttribute("marker-end")) {
          x.line.classList.remove("sa-draw");
          x.line.setAttribute("marker-end", x.marker);
        }
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
  function patch(p) {
    if (p.full) {
      layout = p.full;
      buildAll();
      show(current);
      return;
    }
    layout.steps = layout.steps.slice(0, p.from_step).concat(p.new_steps || []);
    layout.ticks = (layout.ticks || []).slice(0, p.from_tick).concat(p.new_ticks || []);
    layout.gaps = (layout.gaps || []).slice(0, p.from_gap).concat(p.new_gaps || []);
    layout.height = p.height;
    layout.lane_bottom = p.lane_bottom;
    layout.truncated = p.truncated || 0;
    layout.trunc_l = p.trunc_l;
    for (const { i, item } of p.items || []) {
      layout.items[i] = item;
      const old = items[i] && items[i].g;
      if (old && old.parentNode) {
        const seg = items[i].it.kind === "segment" ? items[i].it.id : null;
        if (seg !== null) segs.delete(seg);
      }
      buildItem(i, old);
    }
    drawGrid();
    size();
    drawTrunc();
    show(current);
  }
  const api = {
    show, highlight, scrollTo, patch,
    setRelative(r) { relative = r; labels(); },
    get current() { return current; },
    get layout() { return layout; },
    segmentElement(id) { return segs.get(id); },
  };
  return api;
}
