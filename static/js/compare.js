// The comparison page: the RTT slider and the loss toggle ask the server for new runs
// (/compare.json) and put the measured numbers and the drawings in place. Without
// script the same form submits and the server renders the page.
document.documentElement.classList.add("js");

const form = document.querySelector("[data-testid=compare-form]");
const rtt = form.querySelector("input[name=rtt]");
const lose = form.querySelector("input[name=lose]");
const out = form.querySelector("output");
const lang = form.querySelector("input[name=lang]").value;
let timer = 0;
let asked = 0;

function query() {
  const q = new URLSearchParams({ rtt: rtt.value + "ms", lang });
  if (lose.checked) q.set("lose", "1");
  return q;
}

async function refresh() {
  const q = query();
  const mine = ++asked;
  history.replaceState(null, "", location.pathname + "?" + q);
  let data;
  try {
    const res = await fetch("/compare.json?" + q);
    if (!res.ok) throw new Error(await res.text());
    data = await res.json();
  } catch (err) {
    out.textContent = String(err.message || err);
    return;
  }
  if (mine !== asked) return; // a newer request is on its way
  document.querySelector("caption [data-field=rtt]").textContent = data.rtt_ms;
  const scale = data.bar_rtts; // the bars' scale, as the server drew them
  for (const row of data.rows) {
    const tr = document.querySelector(`tr[data-row="${row.id}"]`);
    const fig = document.querySelector(`figure[data-variant="${row.id}"]`);
    const set = (el, field, text) => { const n = el && el.querySelector(`[data-field=${field}]`); if (n) n.textContent = text; };
    for (const el of [tr, fig]) {
      set(el, "handshake_packets", row.handshake_packets);
      set(el, "rtts_before_request", row.rtts_before_request.toFixed(2));
      set(el, "rtts_to_first_response_byte", row.rtts_to_first_response_byte.toFixed(2));
      set(el, "first_byte_ms", Math.round(row.first_byte_at_us / 1000));
      set(el, "handshake_bytes", row.handshake_bytes);
    }
    if (tr) tr.querySelector("[data-field=link]").href = row.player_url;
    const bar = tr && tr.querySelector(".cmp-bar");
    if (bar) bar.setAttribute("style", `--r:${row.rtts_to_first_response_byte.toFixed(3)};--m:${scale}`);
    if (fig) {
      fig.querySelector("[data-field=svg]").innerHTML = row.svg;
      const ol = fig.querySelector("[data-field=transcript]");
      ol.replaceChildren(...row.transcript.map((t) => { const li = document.createElement("li"); li.textContent = t; return li; }));
    }
  }
}

function schedule() {
  out.textContent = rtt.value + " ms";
  clearTimeout(timer);
  timer = setTimeout(refresh, 120);
}

rtt.addEventListener("input", schedule);
rtt.addEventListener("change", schedule);
lose.addEventListener("change", schedule);
form.addEventListener("submit", (e) => { e.preventDefault(); schedule(); });
