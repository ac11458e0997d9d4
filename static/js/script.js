// The /script page: a pasted packetdrill script is run by the server (POST /script)
// and drawn; a failing line is marked on the diagram and in the listing. Share puts the script in the
// address's fragment, deflated and base64url-encoded, so the link carries it without
// the server ever storing it.
const t = JSON.parse(document.getElementById("script-strings").textContent);
const lang = document.documentElement.lang.startsWith("zh") ? "zh" : "en";
const form = document.getElementById("script-form");
const src = document.getElementById("script-src");
const status = document.getElementById("script-status");
const lines = document.getElementById("script-lines");
const fig = document.getElementById("script-diagram");
const dump = document.getElementById("script-tcpdump");

async function pipe(bytes, stream) {
  const out = new Blob([bytes]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

function b64url(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function unb64url(s) {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

async function encode(text) {
  return b64url(await pipe(new TextEncoder().encode(text), new CompressionStream("deflate-raw")));
}

async function decode(s) {
  return new TextDecoder().decode(await pipe(unb64url(s), new DecompressionStream("deflate-raw")));
}

function showLines(text, bad) {
  lines.replaceChildren();
  text.split("\n").forEach((l, i) => {
    const li = document.createElement("li");
    li.textContent = l;
    if (i + 1 === bad) {
      li.className = "bad";
      li.setAttribute("data-testid", "script-bad-line");
      li.setAttribute("aria-current", "true");
    }
    lines.append(li);
  });
  lines.hidden = !bad;
}

async function run() {
  status.textContent = t["script.running"];
  fig.replaceChildren();
  dump.textContent = "";
  let data;
  try {
    // A phone gets the diagram laid out for its width, as the player's is.
    const narrow = matchMedia("(max-width: 600px)").matches ? "&width=narrow" : "";
    const res = await fetch("/script?lang=" + lang + narrow, { method: "POST", body: src.value, headers: { "Content-Type": "text/plain; charset=utf-8" } });
    data = await res.json();
  } catch (err) {
    status.textContent = String(err.message || err);
    return;
  }
  if (data.error) {
    status.textContent = `${t["script.error"]} ${data.error}`;
  } else if (data.pass) {
    status.textContent = t["script.pass"] + (data.not_evaluated ? ` ${t["script.noteval"]} ${data.not_evaluated.join("; ")}` : "");
  } else {
    status.textContent = `${t["script.fail"]} ${data.line}: ${data.message}`;
  }
  showLines(src.value, data.pass ? 0 : data.line);
  // Drawn by the server's diagram writer from the run's trace, with the failing line's
  // expected segment as a ghost arrow and the one sent instead marked.
  if (data.svg) fig.innerHTML = data.svg;
  if (data.tcpdump) dump.textContent = data.tcpdump.join("\n");
  status.scrollIntoView({ block: "start" });
}

form.addEventListener("submit", (e) => { e.preventDefault(); run(); });
document.getElementById("script-share").addEventListener("click", async () => {
  const u = new URL(location.href);
  u.hash = "s=" + await encode(src.value);
  history.replaceState(null, "", u);
  try { await navigator.clipboard.writeText(u.href); } catch { /* the address bar has it */ }
  status.textContent = t["script.copied"];
});

const m = location.hash.match(/^#s=([A-Za-z0-9_-]+)$/);
if (m) {
  decode(m[1]).then((t) => { src.value = t; run(); }).catch((err) => { status.textContent = String(err.message || err); });
}
