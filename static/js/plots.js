// The data phase's figures under a player: the time-sequence graph and the cwnd plot,
// laid out by engine/diagram (BuildTSG, BuildCwnd) and drawn by plotdraw.js. They follow
// the player's one cursor (the "synack:state" event player.js sends at every move):
// what happened up to the cursor is shown, the rest waits, and a vertical line marks
// the cursor's time (its x per step comes from the server). Clicking a mark, or a row
// of a figure's table, asks the player to seek there ("synack:command"). In the lab the
// figures come with each action ("synack:plots", from player.js) and are drawn anew.
import { drawPlot } from "./plotdraw.js";

let views = [];
let cursor = null; // the player's, once it has said

function mount(plots) {
  views = [];
  for (const box of document.querySelectorAll("[data-plot-box]")) {
    const p = plots && plots[box.dataset.plotBox];
    if (p) views.push(drawPlot(box, p, { onPick: seek }));
  }
  const sec = document.querySelector("[data-testid=plots]");
  if (sec && sec.hidden && views.length) sec.hidden = false;
  if (cursor !== null) for (const v of views) v.show(cursor);
}

function seek(step) {
  document.dispatchEvent(new CustomEvent("synack:command", { detail: { cmd: "seek", step: step + 1, source: "plots" } }));
}

const dataEl = document.getElementById("plots");
if (dataEl) mount(JSON.parse(dataEl.textContent));

document.addEventListener("synack:state", (e) => {
  cursor = e.detail.cursor;
  if (cursor !== null) for (const v of views) v.show(cursor);
});

// The lab sends its figures with their titles and tables (m.figures), or nothing once a
// run has no data: the section is hidden then.
document.addEventListener("synack:plots", (e) => {
  const m = e.detail || {};
  for (const f of m.figures || []) fill(f);
  // The figures' data stays on the page as a lesson's does (id "plots").
  let el = document.getElementById("plots");
  if (!el) {
    el = document.createElement("script");
    el.type = "application/json";
    el.id = "plots";
    document.querySelector("[data-testid=plots]")?.appendChild(el);
  }
  el.textContent = JSON.stringify(m.plots || {});
  mount(m.plots);
  const sec = document.querySelector("[data-testid=plots]");
  if (sec && !m.plots) sec.hidden = true;
});

// fill writes a lab figure's caption and table (the figure's text alternative).
function fill(f) {
  const fig = document.querySelector(`figure[data-plot="${f.Kind}"]`);
  if (!fig) return;
  fig.querySelector("figcaption strong").textContent = f.Title;
  fig.querySelector("figcaption small").textContent = f.Desc;
  const note = fig.querySelector("[data-plot-note]");
  if (note) note.textContent = f.Note || "";
  const head = fig.querySelector("thead tr");
  while (head.children.length > 1) head.lastChild.remove();
  for (const h of f.Head || []) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = h;
    head.appendChild(th);
  }
  const body = fig.querySelector("tbody");
  body.replaceChildren();
  for (const r of f.Rows || []) {
    const tr = document.createElement("tr");
    const a = document.createElement("a");
    a.href = "#diagram";
    a.dataset.plotStep = r.Step;
    a.textContent = String(r.Step + 1);
    tr.appendChild(document.createElement("td")).appendChild(a);
    for (const c of r.Cells) tr.appendChild(document.createElement("td")).textContent = c;
    body.appendChild(tr);
  }
}

// A row of a table opens its step in place, as the transcript's links do.
document.addEventListener("click", (e) => {
  const a = e.target.closest("a[data-plot-step]");
  if (!a) return;
  e.preventDefault();
  seek(Number(a.dataset.plotStep));
});
