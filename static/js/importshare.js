// Share for a connection of an imported capture: its address names an upload that
// only this server holds, for a while; this link carries the connection's capture
// itself (the pcapng the page offers, deflated, in the fragment, which never reaches a
// server), and opens it in the player again wherever it is followed.
const MaxShareBytes = 48 * 1024; // as /import's own Share (import.js)

async function pipe(bytes, stream) {
  return new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(stream)).arrayBuffer());
}

function b64url(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

document.addEventListener("click", async (e) => {
  const b = e.target.closest("[data-action=copy-capture]");
  if (!b) return;
  const out = document.querySelector("[data-testid=share-output]");
  try {
    const raw = new Uint8Array(await (await fetch(b.dataset.capture)).arrayBuffer());
    const packed = await pipe(raw, new CompressionStream("deflate-raw"));
    if (packed.length > MaxShareBytes) {
      out.textContent = b.dataset.big.replace("%d", String(MaxShareBytes / 1024));
      return;
    }
    const u = new URL("/import", location.href);
    u.searchParams.set("lang", document.documentElement.lang.startsWith("zh") ? "zh" : "en");
    u.hash = "c=" + b64url(packed) + "&open=0";
    out.dataset.link = u.href;
    try {
      await navigator.clipboard.writeText(u.href);
      out.textContent = b.dataset.shared;
    } catch {
      out.textContent = u.href; // no clipboard: the link to copy by hand
    }
  } catch (err) {
    out.textContent = String(err.message || err);
  }
});
