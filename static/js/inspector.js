// Shows one segment three ways, linked: the IPv4 and TCP headers drawn as RFC 791 / RFC
// 9293 draw them (rows of 32-bit words, each field as wide as its bits, with the real
// values), the list of every field, and the real bytes from the engine's encoder.
// Hovering or focusing a field in any view lights it in the other two.
export function mountInspector(container, opts) {
  const t = opts.strings || {};
  const lang = (document.documentElement.lang || "en").startsWith("zh") ? "zh" : "en";
  // The words come from the page (the catalogue's "field." keys).
  const L = (k) => t["field." + k] || k;
  const label = (f) => {
    if (f.name.startsWith("tcp.flags.")) return f.name.slice(10).toUpperCase();
    if (f.name.startsWith("option.")) return f.name.slice(7);
    return L(f.name);
  };
  // full is the name an abbreviation of the RFCs' figures stands for (IHL, Rsrvd, the flag
  // bits), said on hover and focus; "" where the figure's name is already whole.
  const full = (f) => t["field.full." + f.name] || "";
  // value is a field's value as the engine's decoder words it, its glosses in the page's
  // language ("0x6656 (correct)", "10 (40 bytes)").
  const value = (v) => lang !== "zh" ? String(v) : String(v)
    .replace(/ \(correct\)/, "（正确）").replace(/ \((\d+) bytes\)/, "（$1 字节）");

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
    // The field under the pointer or the keyboard, named in full under the figure.
    const now = document.createElement("p");
    now.className = "insp-now";
    now.setAttribute("aria-hidden", "true");
    Object.assign(now.style, { margin: ".2rem 0 0", minHeight: "1.3em", fontSize: ".8em", color: "var(--fg)" });
    for (const f of fields) {
      const first = (f.offset - base) * 8 + (f.bit_len ? f.bit_offset || 0 : 0);
      const n = f.bit_len || f.len * 8;
      const bits = f.bit_len === 1 ? L("bit").replace("%d", first % 32) : `${L("bits")} ${first}–${first + n - 1}`;
      let name = label(f), short = name;
      const whole = full(f);
      const flag = f.name.startsWith("tcp.flags.");
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
        // Nothing is cut: names and values wrap inside their cell (a row grows to fit),
        // and a flag's name runs down its one-bit column, a letter a line, as RFC 9293's Figure 1 writes it.
        Object.assign(cell.style, { gridRow: String(row + 2), gridColumn: `${col + 1} / span ${span}`, background: "var(--card)",
          overflow: "hidden", padding: "2px 0", minHeight: "2.4em", minWidth: "0", display: "flex", flexDirection: "column",
          alignItems: "center", justifyContent: "center", overflowWrap: "anywhere" });
        if (a === first) {
          cell.tabIndex = 0;
          const said = `${name} = ${value(f.value)} (${bits})` + (whole ? `, ${whole}` : "");
          cell.setAttribute("aria-label", said);
          const k = document.createElement("div");
          k.className = "insp-name";
          k.textContent = short;
          Object.assign(k.style, { color: "var(--muted)", font: "10px/1.15 system-ui, sans-serif", maxWidth: "100%" });
          if (flag) Object.assign(k.style, { width: "1ch", wordBreak: "break-all", font: "600 9px/1.25 ui-monospace, monospace" });
          const v = document.createElement("div");
          v.className = "insp-value";
          // A field of a few bits has a few pixels: its number, not the gloss after it
          // ("5", not "5 (20 bytes)"); the title, the list and the label say it all.
          v.textContent = n < 8 ? String(f.value).split(" (")[0] : value(f.value);
          Object.assign(v.style, { fontWeight: "600", maxWidth: "100%" });
          cell.append(k, v);
          cell.title = said;
          const tell = () => { now.textContent = said; };
          cell.addEventListener("focus", tell);
          cell.addEventListener("mouseenter", tell);
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
    fig.append(cap, grid, now);
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
    const lane = (n) => t["lane." + n] || n;
    h.textContent = `#${ev.id} ${lane(ev.src)} → ${lane(ev.dst)} ${(ev.flags || []).join(" ")}`;
    container.appendChild(h);

    const bytes = step.bytes.match(/../g) || [];
    const hex = document.createElement("div");
    hex.className = "insp-hex";
    hex.setAttribute("aria-label", t["player.bytes"] || "Bytes");
    // The headers' bytes are always shown; a payload's (up to 1,448 bytes, two thousand
    // pixels of hex on a phone) opens on request.
    const headEnd = Math.max(0, ...step.fields.filter((f) => f.layer !== "payload").map((f) => f.offset + f.len));
    let into = hex, payload = null;
    if (headEnd > 0 && bytes.length > headEnd) {
      payload = document.createElement("details");
      payload.className = "insp-payload";
      const sum = document.createElement("summary");
      sum.textContent = (t["player.payload"] || "Payload: %d bytes").replace("%d", String(bytes.length - headEnd));
      const pre = document.createElement("div");
      pre.className = "insp-hex";
      payload.append(sum, pre);
    }
    const spans = bytes.map((b, i) => {
      const s = document.createElement("span");
      s.textContent = b;
      s.dataset.off = i;
      if (payload && i === headEnd) into = payload.lastChild;
      into.appendChild(s);
      if (i % 16 === 15) into.appendChild(document.createElement("br"));
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
      b.textContent = value(f.value);
      tr.append(a, b);
      link(tr, f);
      body.appendChild(tr);
    }
    container.append(table, hex);
    if (payload) container.append(payload);
  }
  show(null);
  return { show };
}
