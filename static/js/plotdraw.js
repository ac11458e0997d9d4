// One figure of the data phase (a time-sequence graph or a cwnd plot), drawn as
// engine/diagram laid it out: every coordinate comes from the server; this module only
// draws and toggles. drawPlot returns how to move the figure's cursor: show(step) shows
// what happened up to a step of its run's player, showX(x) what happened left of an x
// (figures of two runs on one time axis share their x). A click on a mark, or near a
// step's x, calls onPick with that step and the x picked (a mark folded into a bundle
// has the bundle's step, whose x is the bundle's start: the mark's own x is its time).
const NS = "http://www.w3.org/2000/svg";

function svgEl(name, attrs, parent) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

export const pageLang = () => (String(document.documentElement.lang || "en").toLowerCase().startsWith("zh") ? "zh" : "en");

export function drawPlot(box, p, { onPick, label } = {}) {
  const lang = pageLang();
  const pick = (t) => (t ? (lang === "zh" && t.zh) || t.en : "");
  const fig = box.closest("figure");
  const title = fig ? fig.querySelector("figcaption strong") : null;
  const svg = svgEl("svg", {
    class: "sa-pl", viewBox: `0 0 ${p.width} ${p.height}`, width: "100%", role: "img",
    "aria-label": label || (title ? title.textContent : p.kind),
  });
  svg.style.maxWidth = `${p.width}px`;
  svgEl("rect", { class: "sa-pl-bg", width: p.width, height: p.height }, svg);
  const [x0, y0, x1, y1] = p.area;
  for (const t of p.xt || []) {
    svgEl("line", { class: "sa-pl-grid", x1: t.p, y1: y0, x2: t.p, y2: y1 }, svg);
    svgEl("text", { class: "sa-pl-tick", x: t.p, y: y1 + 14, "text-anchor": "middle" }, svg).textContent = t.l;
  }
  for (const t of p.yt || []) {
    svgEl("line", { class: "sa-pl-grid", x1: x0, y1: t.p, x2: x1, y2: t.p }, svg);
    svgEl("text", { class: "sa-pl-tick", x: x0 - 4, y: t.p + 4, "text-anchor": "end" }, svg).textContent = t.l;
  }
  svgEl("rect", { class: "sa-pl-frame", x: x0, y: y0, width: x1 - x0, height: y1 - y0 }, svg);
  svgEl("text", { class: "sa-pl-title", x: (x0 + x1) / 2, y: p.height - 6, "text-anchor": "middle" }, svg).textContent = pick(p.xtitle);
  svgEl("text", { class: "sa-pl-title", transform: `translate(12 ${(y0 + y1) / 2}) rotate(-90)`, "text-anchor": "middle" }, svg).textContent = pick(p.ytitle);
  const lg = svgEl("g", { class: "sa-pl-legend" }, svg);
  for (const e of p.legend || []) {
    if (e.c === "dupack") svgEl("circle", { class: "sa-pl-dupack", cx: e.x + 9, cy: e.y - 4, r: 3 }, lg);
    else svgEl("line", { class: `sa-pl-${e.c}`, x1: e.x, y1: e.y - 4, x2: e.x + 18, y2: e.y - 4 }, lg);
    svgEl("text", { x: e.x + 22, y: e.y }, lg).textContent = pick(e.t);
  }
  const lines = (p.lines || []).map((ln) => ({ ln, el: svgEl("polyline", { class: `sa-pl-${ln.c}`, points: "" }, svg) }));
  const marks = (p.marks || []).map((m) => {
    const el = m.c === "dupack"
      ? svgEl("circle", { class: "sa-pl-dupack", cx: m.x, cy: m.y, r: 2.5 }, svg)
      : svgEl("line", { class: `sa-pl-${m.c}`, x1: m.x, y1: m.y, x2: m.x, y2: m.y2 }, svg);
    el.dataset.step = m.s;
    return { m, el };
  });
  const cursor = svgEl("line", { class: "sa-pl-cursor", x1: 0, y1: y0, x2: 0, y2: y1, "data-testid": `plot-cursor-${p.kind}` }, svg);
  box.textContent = "";
  box.appendChild(svg);
  // A click picks the mark nearest the pointer (a bar is thin: within 12 units), else
  // the step whose time is nearest it.
  svg.addEventListener("click", (ev) => {
    if (!onPick) return;
    const pt = svg.createSVGPoint();
    pt.x = ev.clientX, pt.y = ev.clientY;
    const q = pt.matrixTransform(svg.getScreenCTM().inverse());
    let best = null, bd = 12;
    for (const { m } of marks) {
      const dy = q.y < Math.min(m.y, m.y2) ? Math.min(m.y, m.y2) - q.y : q.y > Math.max(m.y, m.y2) ? q.y - Math.max(m.y, m.y2) : 0;
      const d = Math.hypot(q.x - m.x, dy);
      if (d < bd) best = m, bd = d;
    }
    if (best) { onPick(best.s, best.x); return; }
    let k = -1, kd = Infinity;
    (p.cx || []).forEach((x, i) => { const d = Math.abs(x - q.x); if (d < kd) k = i, kd = d; });
    if (k >= 0) onPick(k, p.cx[k]);
  });
  // shown draws what a test lets through; tail is where the lines end (the cursor's x
  // in showX: a value holds until the next point).
  function shown(keep, stop, tail, cx, mark) {
    for (const { m, el } of marks) el.style.display = keep(m) ? "" : "none";
    for (const { ln, el } of lines) {
      const out = [];
      let prevY = null;
      for (const pt of ln.p || []) {
        if (stop(pt)) break;
        if (prevY !== null) out.push(`${pt[0]},${prevY}`);
        out.push(`${pt[0]},${pt[1]}`);
        prevY = pt[1];
      }
      if (tail != null && prevY !== null) out.push(`${tail},${prevY}`);
      el.setAttribute("points", out.join(" "));
    }
    cursor.setAttribute("x1", cx ?? x0);
    cursor.setAttribute("x2", cx ?? x0);
    svg.dataset.cursor = mark;
  }
  return {
    kind: p.kind,
    show(cur) {
      const x = (p.cx || [])[Math.max(0, Math.min(cur, (p.cx || []).length - 1))];
      shown((m) => m.s <= cur, (pt) => pt[2] > cur, null, cur < 0 ? x0 : x, cur);
    },
    showX(x) {
      shown((m) => m.x <= x, (pt) => pt[0] > x, x, x, x);
    },
  };
}
