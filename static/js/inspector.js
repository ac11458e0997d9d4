// Shows one segment three ways, linked: the IPv4 and TCP headers drawn as RFC 791 / RFC
// 9293 draw them (rows of 32-bit words, each field as wide as its bits, with the real
// values), the list of every field, and the real bytes from the engine's encoder.
// Hovering or focusing a field in any view lights it in the other two.
export function mountInspector(container, opts) {
  const t = opts.strings || {};
  // The words come from the page (the catalogue's "field." keys).
  const L = (k) => t["field." + k] || k;
  const label = (f) => {
    if (f.name.startsWith("tcp.flags.")) return f.name.slice(10).toUpperCase();
    if (f.name.startsWith("option.")) return f.name.slice(7);
    return L(f.name);
  };

  // figure draws one layer's fields as rows of 32 bits. Every field (or the part of it in
  // one row) is a cell spanning its bits; it is reachable by keyboard and names itself.
  function figure(fields, base, end, title, link, bytes) {
    const fig = document.createElement("figure");
    fig.className = "insp-figure";
    fig.style.margin = ".5rem 0";
    const cap = document.createElement("figcaption");
    cap.textContent = title;
    Object.assign(cap.style, { fontSize: ".85em", fontWeight: "600", margin: "0 0 .2rem" });
    const grid = document.createElement("div");
    grid.className = "insp-grid";
    grid.setAttribute("role", "group");
    grid.setAttribute("aria-label", title);
    Object.assign(grid.style, { display: "grid", gridTemplateColumns: "repeat(32, minmax(0, 1fr))", gap: "1px",
      font: "11px/1.25 ui-monospace, monospace", textAlign: "center", background: "var(--line)", border: "1px solid var(--line)" });
    const ruler = (row) => {
      for (let b = 0; b < 32; b += 8) {
        const r = document.createElement("div");
        r.setAttribute("aria-hidden", "true");
        r.textContent = String(b);
        Object.assign(r.style, { gridRow: String(row), gridColumn: `${b + 1} / span 8`, textAlign: "left", color: "var(--muted)", background: "var(--bg)", paddingLeft: "2px" });
        grid.appendChild(r);
      }
    };
    ruler(1);
    for (const f of fields) {
      const first = (f.offset - base) * 8 + (f.bit_len ? f.bit_offset || 0 : 0);
      const n = f.bit_len || f.len * 8;
      const bits = f.bit_len === 1 ? L("bit").replace("%d", first % 32) : `${L("bits")} ${first}–${first + n - 1}`;
      let name = label(f), short = name;
      if (f.layer === "option") {
        // An option is its kind byte, then (but for NOP and EOL) its length byte.
        const kind = parseInt(bytes[f.offset], 16), len = kind > 1 ? parseInt(bytes[f.offset + 1], 16) : 1;
        name = `${L("option")} ${label(f)} (${L("kind")} ${kind}, ${L("len")} ${len})`;
        short = `${label(f)} (${kind}, ${len})`;
      }
      for (let a = first; a < first + n;) {
        const row = Math.floor(a / 32), col = a % 32;
        const span = Math.min(32 - col, first + n - a);
        const cell = document.createElement("div");
        cell.className = "insp-cell";
        cell.dataset.field = f.name;
        Object.assign(cell.style, { gridRow: String(row + 2), gridColumn: `${col + 1} / span ${span}`, background: "var(--card)",
          overflow: "hidden", whiteSpace: "nowrap", textOverflow: "ellipsis", padding: "2px 1px", minHeight: "2.4em" });
        if (a === first) {
          cell.tabIndex = 0;
          cell.setAttribute("aria-label", `${name} = ${f.value} (${bits})`);
          const k = document.createElement("div");
          k.textContent = short;
          k.style.color = "var(--muted)";
          const v = document.createElement("div");
          // A field of a few bits has a few pixels: its number, not the gloss after it
          // ("5", not "5 (20 bytes)"); the title, the list and the label say it all.
          v.textContent = n < 8 ? String(f.value).split(" (")[0] : f.value;
          v.style.fontWeight = "600";
          cell.append(k, v);
          cell.title = `${name} = ${f.value} (${bits})`;
        } else {
          cell.setAttribute("aria-hidden", "true");
          cell.textContent = "…";
        }
        link(cell, f);
        grid.appendChild(cell);
        a += span;
      }
    }
    // The rest of the last word, if the layer does not fill it (never for IPv4 or TCP,
    // whose lengths are multiples of 4 bytes).
    const used = (end - base) * 8;
    if (used % 32) {
      const pad = document.createElement("div");
      pad.setAttribute("aria-hidden", "true");
      Object.assign(pad.style, { gridRow: String(Math.floor(used / 32) + 2), gridColumn: `${(used % 32) + 1} / span ${32 - (used % 32)}`, background: "var(--bg)" });
      grid.appendChild(pad);
    }
    fig.append(cap, grid);
    return fig;
  }

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

    // One highlight for all three views; a field is known by its place in the list (a
    // segment may carry several NOPs).
    const views = [];
    const paint = (el, on) => {
      el.classList.toggle("on", on);
      el.style.background = on ? "var(--hl)" : el.classList.contains("insp-cell") ? "var(--card)" : "";
    };
    const light = (hit) => {
      for (const el of views) paint(el, hit.includes(Number(el.dataset.idx)));
      spans.forEach((s, i) => s.classList.toggle("on", hit.some((k) => i >= step.fields[k].offset && i < step.fields[k].offset + step.fields[k].len)));
    };
    const link = (el, f) => {
      const k = step.fields.indexOf(f);
      el.dataset.idx = k;
      views.push(el);
      el.addEventListener("mouseenter", () => light([k]));
      el.addEventListener("focus", () => light([k]));
      el.addEventListener("mouseleave", () => light([]));
      el.addEventListener("blur", () => light([]));
    };
    // A byte lights the fields it belongs to (the flags byte: all eight flags).
    spans.forEach((s, i) => {
      s.addEventListener("mouseenter", () => {
        const hit = [];
        step.fields.forEach((f, k) => { if (i >= f.offset && i < f.offset + f.len && f.layer !== "payload") hit.push(k); });
        light(hit);
      });
      s.addEventListener("mouseleave", () => light([]));
    });

    const layer = (names) => step.fields.filter((f) => names.includes(f.layer));
    const ip = layer(["ip"]);
    const l4 = layer(["tcp", "udp", "option"]);
    if (ip.length) {
      const start = 0, end = Math.max(...ip.map((f) => f.offset + f.len));
      container.appendChild(figure(ip, start, end, L("ipv4"), link, bytes));
    }
    if (l4.length) {
      const start = Math.min(...l4.map((f) => f.offset)), end = Math.max(...l4.map((f) => f.offset + f.len));
      const udp = l4.some((f) => f.layer === "udp");
      container.appendChild(figure(l4, start, end, L(udp ? "udp" : "tcp"), link, bytes));
    }

    const table = document.createElement("table");
    table.className = "insp-fields";
    table.innerHTML = `<thead><tr><th scope="col">${t["player.field"] || "Field"}</th><th scope="col">${t["player.value"] || "Value"}</th></tr></thead>`;
    const body = document.createElement("tbody");
    table.appendChild(body);
    for (const f of step.fields) {
      const tr = document.createElement("tr");
      tr.tabIndex = 0;
      tr.dataset.field = f.name;
      const a = document.createElement("td");
      a.textContent = f.name;
      const b = document.createElement("td");
      b.textContent = f.value;
      tr.append(a, b);
      link(tr, f);
      body.appendChild(tr);
    }
    container.append(table, hex);
  }
  show(null);
  return { show };
}
