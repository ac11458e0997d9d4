// The data phase's figures: the time-sequence graph and the cwnd plot, laid out by
// engine/diagram (BuildTSG, BuildCwnd) and drawn here as they are. They follow the
// player's one cursor (the "synack:state" event player.js sends at every move): what
// happened up to the cursor is shown, the rest waits, and a vertical line marks the
// cursor's time (its x per step comes from the server). Clicking a mark, or a row of a
// figure's table, asks the player to seek there ("synack:command"). Every coordinate
// comes from the server; this file only draws and toggles.
const NS = "http://www.w3.org/2000/svg";

function svgEl(name, attrs, parent) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

const lang = String(document.documentElement.lang || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
const pick = (t) => (t ? (lang === "zh" && t.zh) || t.en : "");

const dataEl = document.getElementById("plots");
const plots = dataEl ? JSON.parse(dataEl.textContent) : {};
const views = [];

for (const box of document.querySelectorAll("[data-plot-box]")) {
  const p = plots[box.dataset.plotBox];
  if (p) views.push(draw(box, p));
}

// draw builds one figure's SVG and returns how to move its cursor.
function draw(box, p) {
  const fig = box.closest("figure");
  const title = fig ? fig.querySelector("figcaption strong") : null;
  const svg = svgEl("svg", {
    class: "sa-pl", viewBox: `0 0 ${p.width} ${p.height}`, width: "100%", role: "img",
    "aria-label": title ? title.textContent : p.kind,
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
  // A click picks the mark nearest the pointer (a bar is thin: within 12 units).
  svg.addEventListener("click", (ev) => {
    const pt = svg.createSVGPoint();
    pt.x = ev.clientX, pt.y = ev.clientY;
    const q = pt.matrixTransform(svg.getScreenCTM().inverse());
    let best = null, bd = 12;
    for (const { m } of marks) {
      const dy = q.y < Math.min(m.y, m.y2) ? Math.min(m.y, m.y2) - q.y : q.y > Math.max(m.y, m.y2) ? q.y - Math.max(m.y, m.y2) : 0;
      const d = Math.hypot(q.x - m.x, dy);
      if (d < bd) best = m, bd = d;
    }
    if (!best) {
      // Else the step whose time is nearest the pointer.
      let k = -1, kd = Infinity;
      (p.cx || []).forEach((x, i) => { const d = Math.abs(x - q.x); if (d < kd) k = i, kd = d; });
      if (k >= 0) seek(k);
      return;
    }
    seek(best.s);
  });
  return (cur) => {
    for (const { m, el } of marks) el.style.display = m.s <= cur ? "" : "none";
    for (const { ln, el } of lines) {
      const out = [];
      let prevY = null;
      for (const pt of ln.p || []) {
        if (pt[2] > cur) break;
        if (prevY !== null) out.push(`${pt[0]},${prevY}`);
        out.push(`${pt[0]},${pt[1]}`);
        prevY = pt[1];
      }
      el.setAttribute("points", out.join(" "));
    }
    const x = (p.cx || [])[Math.max(0, Math.min(cur, (p.cx || []).length - 1))];
    cursor.setAttribute("x1", x ?? x0);
    cursor.setAttribute("x2", x ?? x0);
    svg.dataset.cursor = cur;
  };
}

function seek(step) {
  document.dispatchEvent(new CustomEvent("synack:command", { detail: { cmd: "seek", step: step + 1 } }));
}

document.addEventListener("synack:state", (e) => {
  for (const v of views) v(e.detail.cursor);
});

// A row of a table opens its step in place, as the transcript's links do.
document.addEventListener("click", (e) => {
  const a = e.target.closest("a[data-plot-step]");
  if (!a) return;
  e.preventDefault();
  seek(Number(a.dataset.plotStep));
});
