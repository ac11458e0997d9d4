// Shows one segment: every header field and the real bytes from the engine's encoder,
// with the hovered field's bytes highlighted.
export function mountInspector(container, opts) {
  const t = opts.strings || {};
  function show(step) {
    container.textContent = "";
    if (!step || !step.fields) {
      const p = document.createElement("p");
      p.textContent = t["player.pickseg"] || "";
      container.appendChild(p);
      return;
    }
    const ev = JSON.parse(typeof step.event === "string" ? step.event : JSON.stringify(step.event));
    const h = document.createElement("p");
    h.className = "insp-head";
    h.textContent = `#${ev.id} ${ev.src} → ${ev.dst} ${(ev.flags || []).join(" ")}`;
    container.appendChild(h);
    const table = document.createElement("table");
    table.className = "insp-fields";
    table.innerHTML = `<thead><tr><th scope="col">${t["player.field"] || "Field"}</th><th scope="col">${t["player.value"] || "Value"}</th></tr></thead>`;
    const body = document.createElement("tbody");
    table.appendChild(body);
    const bytes = step.bytes.match(/../g) || [];
    const hex = document.createElement("div");
    hex.className = "insp-hex";
    hex.setAttribute("aria-label", t["player.bytes"] || "Bytes");
    const spans = bytes.map((b, i) => {
      const s = document.createElement("span");
      s.textContent = b;
      s.dataset.off = i;
      hex.appendChild(s);
      if (i % 16 === 15) hex.appendChild(document.createElement("br"));
      return s;
    });
    for (const f of step.fields) {
      const tr = document.createElement("tr");
      tr.tabIndex = 0;
      tr.dataset.field = f.name;
      const a = document.createElement("td");
      a.textContent = f.name;
      const b = document.createElement("td");
      b.textContent = f.value;
      tr.append(a, b);
      const on = () => spans.forEach((s, i) => s.classList.toggle("on", i >= f.offset && i < f.offset + f.len));
      const off = () => spans.forEach((s) => s.classList.remove("on"));
      tr.addEventListener("mouseenter", on);
      tr.addEventListener("focus", on);
      tr.addEventListener("mouseleave", off);
      tr.addEventListener("blur", off);
      body.appendChild(tr);
    }
    container.append(table, hex);
  }
  show(null);
  return { show };
}
