// The RFC 9293 state diagram (§3.3.2, Figure 5) with each endpoint's current state lit
// and the transition it just took drawn in motion. The figure is fixed; its positions are
// data here, not computed from a trace.
const NS = "http://www.w3.org/2000/svg";
const POS = {
  "CLOSED": [170, 20], "LISTEN": [80, 80], "SYN-SENT": [260, 80], "SYN-RECEIVED": [80, 150],
  "ESTABLISHED": [170, 215], "FIN-WAIT-1": [60, 285], "CLOSE-WAIT": [280, 285], "FIN-WAIT-2": [60, 350],
  "CLOSING": [170, 350], "LAST-ACK": [280, 350], "TIME-WAIT": [120, 415],
};
const EDGES = [
  ["CLOSED", "LISTEN"], ["CLOSED", "SYN-SENT"], ["LISTEN", "SYN-RECEIVED"], ["LISTEN", "SYN-SENT"],
  ["SYN-SENT", "SYN-RECEIVED"], ["SYN-SENT", "ESTABLISHED"], ["SYN-SENT", "CLOSED"], ["SYN-RECEIVED", "ESTABLISHED"],
  ["SYN-RECEIVED", "FIN-WAIT-1"], ["SYN-RECEIVED", "LISTEN"], ["ESTABLISHED", "FIN-WAIT-1"], ["ESTABLISHED", "CLOSE-WAIT"],
  ["FIN-WAIT-1", "FIN-WAIT-2"], ["FIN-WAIT-1", "CLOSING"], ["FIN-WAIT-1", "TIME-WAIT"], ["FIN-WAIT-2", "TIME-WAIT"],
  ["CLOSE-WAIT", "LAST-ACK"], ["CLOSING", "TIME-WAIT"], ["LAST-ACK", "CLOSED"], ["TIME-WAIT", "CLOSED"],
];

function el(name, attrs, parent) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

export function mountStates(container, opts) {
  container.textContent = "";
  const svg = el("svg", { viewBox: "0 0 340 440", class: "sa-fsm", role: "img", "aria-label": opts.label || "RFC 9293 state diagram" }, container);
  const edges = new Map();
  for (const [a, b] of EDGES) {
    const [x1, y1] = POS[a], [x2, y2] = POS[b];
    const p = el("line", { x1, y1, x2, y2, class: "sa-fsm-edge" }, svg);
    edges.set(a + ">" + b, p);
  }
  const boxes = new Map();
  for (const [s, [x, y]] of Object.entries(POS)) {
    const g = el("g", { class: "sa-fsm-state", "data-fsm": s }, svg);
    el("rect", { x: x - 52, y: y - 12, width: 104, height: 24, rx: 12 }, g);
    el("text", { x, y: y + 4, "text-anchor": "middle" }, g).textContent = s;
    boxes.set(s, g);
  }
  const legend = el("g", { class: "sa-fsm-legend" }, svg);
  const names = opts.endpoints || ["client", "server"];
  names.slice(0, 2).forEach((n, i) => {
    el("rect", { x: 10 + i * 110, y: 428, width: 10, height: 10, class: "sa-fsm-dot sa-fsm-" + i }, legend);
    el("text", { x: 24 + i * 110, y: 437 }, legend).textContent = n;
  });
  return {
    set(states) {
      // states: [{endpoint, state, from}]
      for (const g of boxes.values()) g.setAttribute("class", "sa-fsm-state");
      for (const p of edges.values()) p.setAttribute("class", "sa-fsm-edge");
      states.forEach((s, i) => {
        const g = boxes.get(s.state);
        if (g) g.classList.add("sa-fsm-lit-" + Math.min(i, 1));
        const p = s.from && edges.get(s.from + ">" + s.state);
        if (p) p.setAttribute("class", "sa-fsm-edge sa-fsm-taken sa-fsm-taken-" + Math.min(i, 1));
      });
    },
  };
}
