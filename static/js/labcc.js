// The side-by-side of Reno and CUBIC (/lab/cc): both runs' figures, drawn by
// plotdraw.js from the server's geometry, and one time cursor over all four. The
// figures share one time axis, so one x is one instant in each; the slider's stops and
// their times come from the server. A click on a mark moves the cursor to that mark's
// own time (not its step's: a mark folded into a bundle shares the bundle's step).
import { drawPlot } from "./plotdraw.js";

const data = JSON.parse(document.getElementById("labcc").textContent);
const stops = data.cursor || [];
const slider = document.getElementById("cc-time");
const out = document.getElementById("cc-time-out");
const views = [];

for (const box of document.querySelectorAll("[data-cc-box]")) {
  const [side, kind] = box.dataset.ccBox.split("/");
  const p = data[side] && data[side][kind];
  if (!p) continue;
  const img = box.querySelector("img");
  const v = drawPlot(box, p, { label: img ? img.alt : kind, onPick: (_step, x) => at(nearest(x)) });
  views.push(v);
}

// nearest is the stop whose x is closest to x.
function nearest(x) {
  let k = stops.length - 1, kd = Infinity;
  stops.forEach((s, i) => { const d = Math.abs(s.x - x); if (d < kd) k = i, kd = d; });
  return k;
}

function at(i) {
  i = Math.max(0, Math.min(stops.length - 1, i));
  slider.value = i;
  show();
}

function show() {
  const s = stops[Number(slider.value)];
  if (!s) return;
  for (const v of views) v.showX(s.x);
  out.textContent = `${s.l} s`;
}

slider.addEventListener("input", show);
show();
// Drawn and listening: a test may now move the cursor.
document.documentElement.dataset.player = "ready";
