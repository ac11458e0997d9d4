// The RFC 9293 state diagram (§3.3.2, Figure 5), laid out by engine/diagram
// (StateMachine, served as /states.json) and drawn here as it is: each endpoint's current
// state lit, the transition it just took highlighted with its "event / action" label. A
// transition the figure does not draw is named under it, never faked as an edge. Every
// coordinate comes from the server; this file only draws and toggles classes.
const NS = "http://www.w3.org/2000/svg";

function svgEl(name, attrs, parent) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

function htmlEl(name, attrs, parent) {
  const e = document.createElement(name);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

const points = (ps) => ps.map((p) => `${p.x},${p.y}`).join(" ");

function langOf(opts) {
  const l = String(opts.lang || document.documentElement.lang || "en").toLowerCase();
  return l.startsWith("zh") ? "zh" : "en";
}

// bootFigure returns the figure the page embedded in its boot data ("stateFigure"), if any:
// drawn at once, it needs no request and never shifts the page when it arrives.
function bootFigure() {
  const b = document.getElementById("boot");
  if (!b) return null;
  try {
    return JSON.parse(b.textContent).stateFigure || null;
  } catch {
    return null;
  }
}

// mountStates draws the figure into container and returns {set(states)}. states is
// [{endpoint, state, from, cause}] for the main endpoints in lane order: the first is drawn
// in the client colour, the second in the server colour; cause (optional) is the engine's
// reason for the last change, e.g. "received RST". opts: label (the panel's name), lang
// ("en"/"zh", default the page's), figure (a StateFigure to draw; else the boot data's
// stateFigure; else /states.json is fetched), large (the big version; also set by a
// "sa-states-large" class on or around container).
export function mountStates(container, opts = {}) {
  const lang = langOf(opts);
  const large = !!opts.large || !!container.closest(".sa-states-large");
  container.textContent = "";
  container.classList.add("sa-sm-panel");
  container.classList.toggle("sa-sm-large", large);

  const style = htmlEl("style", {}, container);
  const tools = htmlEl("div", { class: "sa-sm-tools", hidden: "" }, container);
  const enlarge = htmlEl("button", { type: "button", "aria-haspopup": "dialog" }, tools);
  // What just happened, in words, above the figure: the panel shows only part of it.
  const now = htmlEl("p", { class: "sa-sm-now", "aria-live": "polite", "data-testid": "states-now" }, container);
  // Each endpoint's state, in its colour, above the figure: both are in view at once even
  // when the figure's box can show only one of them.
  const legend = htmlEl("ul", { class: "sa-sm-legend", "data-testid": "states-legend" }, container);
  const hint = htmlEl("p", { class: "sa-sm-hint", hidden: "" }, container);
  const box = htmlEl("div", { class: "sa-sm-scroll", tabindex: "0", role: "region", "aria-label": opts.label || "RFC 9293 Figure 5" }, container);
  const notes = htmlEl("p", { class: "sa-sm-notes" }, container);
  // The large version anywhere: the same figure in a modal dialog as wide as the window
  // allows (the player's keys still step while it is open).
  const dialog = htmlEl("dialog", { class: "sa-sm-dialog" }, container);
  const dialogHead = htmlEl("div", { class: "sa-sm-tools" }, dialog);
  const close = htmlEl("button", { type: "button" }, dialogHead);
  const dialogBox = htmlEl("div", { class: "sa-sm-scroll", tabindex: "0", role: "region" }, dialog);

  let fig = null;
  let last = [];
  let svg = null;
  const nodes = new Map(); // node id -> <g>
  const edges = new Map(); // "FROM>TO" -> {edge, line <g>, label <g>}
  let edgeLayer = null;
  let legendFor = "";
  let lastFocus = []; // groups of elements to keep in view, most important first
  let lastKey = [];

  function S(k) {
    return (fig && fig.strings && fig.strings[k]) || k;
  }

  function laneName(n) {
    const m = /^([a-z]+)-(\d+)$/.exec(n);
    if (m && fig && fig.strings["lane." + m[1]]) return fig.strings["lane." + m[1]] + (lang === "zh" ? " " : "-") + m[2];
    return (fig && fig.strings["lane." + n]) || n;
  }

  // scroller is the box the figure is in now: the panel's, or the dialog's.
  const scroller = () => (dialog.open ? dialogBox : box);

  function updateHint() {
    hint.hidden = !(box.scrollWidth > box.clientWidth + 2);
  }

  function draw() {
    style.textContent = fig.style || "";
    svg = svgEl("svg", {
      class: "sa-sm", viewBox: `0 0 ${fig.width} ${fig.height}`, role: "figure",
      "aria-labelledby": "sa-sm-title", "aria-describedby": "sa-sm-desc", lang: lang === "zh" ? "zh-CN" : "en",
    });
    svgEl("title", { id: "sa-sm-title" }, svg).textContent = fig.title;
    svgEl("desc", { id: "sa-sm-desc" }, svg).textContent = fig.desc;
    edgeLayer = svgEl("g", { class: "sa-sm-edges" }, svg);
    for (const e of fig.edges) {
      const g = svgEl("g", { class: "sa-sm-edge" + (e.note ? " sa-sm-note" : ""), "data-edge": e.id }, edgeLayer);
      svgEl("polyline", { points: points(e.points) }, g);
      svgEl("polygon", { points: points(e.arrow) }, g);
      edges.set(e.id, { edge: e, line: g, label: null });
    }
    const nodeLayer = svgEl("g", { class: "sa-sm-nodes" }, svg);
    for (const n of fig.nodes) {
      const g = svgEl("g", { class: "sa-sm-node", "data-node": n.id, "data-fsm": n.state }, nodeLayer);
      svgEl("rect", { x: n.x, y: n.y, width: n.w, height: n.h, rx: 6 }, g);
      svgEl("text", { x: n.tx, y: n.ty, "text-anchor": "middle", "font-size": fig.nodeFont }, g).textContent = n.state;
      nodes.set(n.id, g);
    }
    const labelLayer = svgEl("g", { class: "sa-sm-labels" }, svg);
    for (const e of fig.edges) {
      const l = e.label;
      const outer = svgEl("g", { class: "sa-sm-edge-label", "data-edge": e.id }, labelLayer);
      const g = svgEl("g", { class: "sa-sm-label" + (e.note ? " sa-sm-note" : "") }, outer);
      svgEl("rect", { x: l.x, y: l.y, width: l.w, height: l.h, rx: 3 }, g);
      svgEl("text", { x: l.cx, y: l.eventY, "text-anchor": "middle", "font-size": fig.labelFont }, g).textContent = l.event;
      if (l.action) {
        svgEl("line", { x1: l.ruleX1, x2: l.ruleX2, y1: l.ruleY, y2: l.ruleY }, g);
        svgEl("text", { x: l.cx, y: l.actionY, "text-anchor": "middle", "font-size": fig.labelFont }, g).textContent = l.action;
      }
      edges.get(e.id).label = outer;
    }
    box.textContent = "";
    box.appendChild(svg);
    hint.textContent = "↔ " + S("scroll");
    notes.textContent = lang === "zh" ? `${S("x")}。${S("note1")}${S("note2")}` : `${S("x")}. ${S("note1")} ${S("note2")}`;
    enlarge.textContent = S("enlarge");
    close.textContent = S("close");
    dialog.setAttribute("aria-label", fig.title);
    dialogBox.setAttribute("aria-label", fig.title);
    tools.hidden = large || typeof dialog.showModal !== "function";
    // The hint and the scroll wait for the figure's first layout (the observer below):
    // asking for sizes now would lay the whole page out before its first paint.
    if (laidOut) updateHint();
  }

  function drawLegend(states) {
    const key = states.map((s) => `${s.endpoint}=${s.state}`).join(",");
    if (key === legendFor) return;
    legendFor = key;
    legend.textContent = "";
    states.slice(0, 2).forEach((s, i) => {
      const li = htmlEl("li", { "data-testid": "states-of-" + i }, legend);
      htmlEl("span", { class: "sa-sm-sw sa-sm-sw-" + i, "aria-hidden": "true" }, li);
      li.append(laneName(s.endpoint) + (lang === "zh" ? "：" : ": "));
      htmlEl("b", { class: "sa-sm-chip sa-sm-chip-" + i }, li).textContent = s.state;
    });
    const li = htmlEl("li", {}, legend);
    htmlEl("span", { class: "sa-sm-sw sa-sm-sw-taken", "aria-hidden": "true" }, li);
    li.append(S("taken"));
  }

  // takenEdge returns the figure's edge for the transition an endpoint took last: the
  // edge FROM>TO, when its event is the engine's cause for the change (a RST or a timer
  // between the same two states is not that edge). null: the figure does not draw it;
  // undefined: without a cause it cannot be told (the engine also joins those two states
  // for another reason).
  function takenEdge(s) {
    if (!s.from) return null;
    const e = edges.get(s.from + ">" + s.state);
    if (!e) return null;
    if (!s.cause) return e.edge.shared ? undefined : e;
    const c = fig.causes && fig.causes[s.cause];
    return c && c.kind === e.edge.kind ? e : null;
  }

  // nodeFor picks the box that shows an endpoint's state: the target of the edge it took,
  // else the box named after the state (the upper CLOSED).
  function nodeFor(s, edge) {
    if (edge) return nodes.get(edge.toNode);
    return nodes.get(s.state) || [...nodes.values()].find((g) => g.dataset.fsm === s.state);
  }

  function apply(states) {
    if (!fig) return;
    drawLegend(states);
    for (const g of nodes.values()) g.setAttribute("class", "sa-sm-node");
    for (const { edge, line, label } of edges.values()) {
      const base = edge.note ? " sa-sm-note" : "";
      line.setAttribute("class", "sa-sm-edge" + base);
      label.setAttribute("class", "sa-sm-edge-label");
    }
    const zh = lang === "zh";
    const said = [];
    const groups = []; // per endpoint: its lit box, and the label or box it came from
    states.slice(0, 2).forEach((s, i) => {
      const focus = [];
      groups.push(focus);
      const e = takenEdge(s);
      const g = nodeFor(s, e && e.edge);
      if (g) {
        g.classList.add("sa-sm-lit-" + i);
        focus.push(g);
      }
      let text = `${laneName(s.endpoint)}${zh ? "：" : ": "}${s.state}`;
      if (s.from && e) {
        e.line.classList.add("sa-sm-taken-" + i);
        e.label.classList.add("sa-sm-taken-" + i);
        edgeLayer.appendChild(e.line); // the taken line is drawn over the others
        focus.push(e.label);
        const l = e.edge.label;
        const what = l.action ? `${l.event} / ${l.action}` : l.event;
        text += zh ? `（${s.from} → ${s.state}：${what}）` : ` (${s.from} → ${s.state}: ${what})`;
      } else if (s.from) {
        const from = nodes.get(s.from);
        if (from) {
          from.classList.add("sa-sm-from-" + i);
          focus.push(from);
        }
        const c = s.cause && fig.causes && fig.causes[s.cause];
        const why = c ? c.text : s.cause;
        const extra = why ? (zh ? `${why}，${S("extra")}` : `${why}, ${S("extra")}`) : S("extra");
        if (e === undefined) text += zh ? `（${s.from} → ${s.state}）` : ` (${s.from} → ${s.state})`;
        else text += zh ? `（${s.from} → ${s.state}：${extra}）` : ` (${s.from} → ${s.state}: ${extra})`;
      }
      said.push(text);
    });
    const line = said.join(zh ? "；" : "; ");
    if (now.textContent !== line) now.textContent = line;
    // Follow the endpoints whose state changed since the last call (all of them at first);
    // if nothing changed, leave the scroll where the reader put it.
    // The endpoint that changed last comes first: when both cannot be in view at once,
    // the panel shows the transition just taken.
    const key = states.map((s) => `${s.endpoint}:${s.from}>${s.state}`);
    const moved = groups.map((g, i) => ({ g, i, at: states[i].at ?? -1 }))
      .filter(({ g, i }) => g.length && key[i] !== lastKey[i])
      .sort((a, b) => b.at - a.at)
      .map(({ g }) => g);
    lastKey = key;
    if (moved.length) {
      lastFocus = moved;
      if (laidOut) follow(moved);
    }
  }

  // follow scrolls the figure's own box (never the page) so the lit states and the labels
  // of the transitions just taken are in view, centred: all groups if they fit in the box
  // together, else the first.
  function follow(groups) {
    const sc = scroller();
    const full = sc.getBoundingClientRect();
    // Centre in the part of the box the reader can see: a tall panel may run past the
    // bottom of the window on the first screen.
    const seen = { left: full.left, right: full.right, top: Math.max(full.top, 0), bottom: Math.min(full.bottom, window.innerHeight) };
    seen.width = seen.right - seen.left;
    seen.height = seen.bottom - seen.top;
    const b = seen.height >= 160 ? seen : full;
    let els = groups.flat();
    const span = (rs) => [Math.max(...rs.map((x) => x.right)) - Math.min(...rs.map((x) => x.left)), Math.max(...rs.map((x) => x.bottom)) - Math.min(...rs.map((x) => x.top))];
    const [w, h] = span(els.map((e) => e.getBoundingClientRect()));
    if ((w > b.width || h > b.height) && groups.length > 1) els = groups[0];
    const rs = els.map((e) => e.getBoundingClientRect());
    const r = {
      left: Math.min(...rs.map((x) => x.left)), right: Math.max(...rs.map((x) => x.right)),
      top: Math.min(...rs.map((x) => x.top)), bottom: Math.max(...rs.map((x) => x.bottom)),
    };
    if (!els.length || !b.width || (r.left >= b.left && r.right <= b.right && r.top >= b.top && r.bottom <= b.bottom)) return;
    sc.scrollTo({
      left: sc.scrollLeft + r.left - b.left - (b.width - (r.right - r.left)) / 2,
      top: sc.scrollTop + r.top - b.top - (b.height - (r.bottom - r.top)) / 2,
    });
  }

  enlarge.addEventListener("click", () => {
    if (!svg) return;
    dialogBox.appendChild(svg);
    dialog.appendChild(now);
    dialog.showModal();
    follow(lastFocus);
  });
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    if (svg) box.appendChild(svg);
    hint.before(now);
    enlarge.focus();
    follow(lastFocus);
  });
  // laidOut: the box has been laid out once (the observer's first call, after the first
  // paint), so reading sizes no longer forces a layout of its own.
  let laidOut = typeof ResizeObserver === "undefined";
  if (!laidOut) {
    new ResizeObserver(() => {
      laidOut = true;
      updateHint();
      if (lastFocus.length) follow(lastFocus);
    }).observe(box);
  }

  let fetching = false;
  function load() {
    if (fig || fetching) return;
    fetching = true;
    fetch(`/states.json?lang=${lang}`, { headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))))
      .then((f) => {
        fig = f;
        draw();
        apply(last);
      })
      .catch((err) => {
        now.textContent = `${opts.loadFailed || "The state figure could not be loaded:"} ${err.message}`;
      });
  }

  const given = opts.figure || bootFigure();
  if (given) {
    fig = given;
    draw();
  } else if (!container.closest("[hidden]")) {
    load(); // a hidden panel (a run without TCP states) fetches only if states arrive
  }

  return {
    set(states) {
      last = states || [];
      if (last.length) load();
      apply(last);
    },
  };
}
