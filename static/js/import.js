// The /import page: a capture chosen or dropped is sent as it is to POST /import; the
// answer lists its connections, each linked to its own page. The file goes nowhere
// else, and the list is drawn from the answer alone.
const t = JSON.parse(document.getElementById("import-strings").textContent);
const lang = document.documentElement.lang.startsWith("zh") ? "zh" : "en";
const form = document.querySelector("[data-testid=import-drop]");
const input = document.getElementById("import-file");
const status = document.getElementById("import-status");
const list = document.getElementById("import-list");

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const k of kids) e.append(k);
  return e;
}

// MaxShareBytes bounds a capture carried in a link: the deflated file, before base64url.
const MaxShareBytes = 48 * 1024;

async function pipe(bytes, stream) {
  return new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(stream)).arrayBuffer());
}

function b64url(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function share(file) {
  const packed = await pipe(new Uint8Array(await file.arrayBuffer()), new CompressionStream("deflate-raw"));
  if (packed.length > MaxShareBytes) {
    status.textContent = t["import.sharebig"].replace("%d", String(MaxShareBytes / 1024));
    return;
  }
  const u = new URL(location.href);
  u.hash = "c=" + b64url(packed);
  history.replaceState(null, "", u);
  try { await navigator.clipboard.writeText(u.href); } catch { /* the address bar has it */ }
  status.textContent = t["import.shared"];
}

async function send(file) {
  status.textContent = t["import.reading"];
  list.replaceChildren();
  let data;
  try {
    const res = await fetch("/import?lang=" + lang, { method: "POST", body: file, headers: { "Content-Type": "application/octet-stream" } });
    data = await res.json();
    if (!res.ok) throw new Error(data.error || res.statusText);
  } catch (err) {
    status.textContent = String(err.message || err);
    return;
  }
  status.textContent = `${file.name}: ${data.format}, ${data.conns.length} ${t["import.found"]}`;
  const btn = el("button", { type: "button", "data-testid": "import-share" }, t["import.share"]);
  btn.addEventListener("click", () => share(file));
  list.append(el("p", {}, btn));
  const head = el("tr", {}, ...[t["import.col.conn"], t["import.col.ends"], t["import.col.pkts"], t["import.col.states"], t["import.col.flags"]].map((w) => el("th", { scope: "col" }, w)));
  const body = el("tbody");
  for (const c of data.conns) {
    const flags = el("td");
    if (c.anomalies.length === 0) flags.append(t["import.none"]);
    c.anomalies.forEach((a, i) => {
      if (i > 0) flags.append(", ");
      flags.append(`${a.name} ×${a.count}`);
      if (a.lesson) flags.append(" (", el("a", { href: a.lesson }, t["import.lesson"]), ")");
    });
    body.append(el("tr", { "data-testid": "import-conn" },
      el("td", {}, el("a", { href: c.url }, `${t["import.open"]} ${c.conn}`)),
      el("td", {}, el("code", {}, c.a), " ↔ ", el("code", {}, c.b)),
      el("td", { "data-label": t["import.col.pkts"] }, String(c.packets)),
      el("td", {}, el("div", {}, el("code", {}, c.a), ": ", c.states_a.join(" → ")), el("div", {}, el("code", {}, c.b), ": ", c.states_b.join(" → "))),
      flags));
  }
  list.append(el("div", { class: "table-scroll" }, el("table", { class: "import-table" }, el("thead", {}, head), body)),
    el("p", { class: "muted" }, t["import.unknown"]));
  return data;
}

input.addEventListener("change", () => { if (input.files[0]) send(input.files[0]); });
form.addEventListener("submit", (e) => { e.preventDefault(); if (input.files[0]) send(input.files[0]); });
for (const ev of ["dragenter", "dragover"]) form.addEventListener(ev, (e) => { e.preventDefault(); form.classList.add("over"); });
for (const ev of ["dragleave", "drop"]) form.addEventListener(ev, () => form.classList.remove("over"));
form.addEventListener("drop", (e) => {
  e.preventDefault();
  const f = e.dataTransfer && e.dataTransfer.files[0];
  if (f) send(f);
});

// A shared link carries the capture in its fragment: unpack it and read it as if
// dropped. A link made from one connection in the player (&open=N) opens it there again.
const m = location.hash.match(/^#c=([A-Za-z0-9_-]+)(?:&open=(\d+))?$/);
if (m) {
  const bin = atob(m[1].replace(/-/g, "+").replace(/_/g, "/"));
  pipe(Uint8Array.from(bin, (c) => c.charCodeAt(0)), new DecompressionStream("deflate-raw"))
    .then((b) => send(new File([b], m[2] ? "shared.pcapng" : "shared.pcap")))
    .then((data) => {
      const c = m[2] && data && data.conns[Number(m[2])];
      if (c) location.replace(c.url);
    })
    .catch((err) => { status.textContent = String(err.message || err); });
}
