// The run as tcpdump prints it: one line per segment, up to the player's cursor, with
// absolute sequence numbers (tcpdump -S) or relative ones (tcpdump's default), following
// the player's "Sequence numbers" switch. The server wrote the lines (engine/text.go,
// the same as `synack run`); this module only picks which to show.
export function mountTcpdump(pre, lines) {
  const cmd = document.getElementById("tcpdump-cmd");
  if (!pre || !lines) return { show() {} };
  pre.textContent = "";
  const spans = lines.map((l) => {
    const s = document.createElement("span");
    s.dataset.step = l.step;
    pre.appendChild(s);
    return s;
  });
  function show(cursor, relative) {
    if (cmd) cmd.textContent = relative ? "tcpdump -n" : "tcpdump -n -S";
    lines.forEach((l, i) => {
      const s = spans[i];
      s.textContent = (relative ? l.rel : l.abs) + "\n";
      s.hidden = l.step > cursor;
      s.classList.toggle("current", l.step === cursor);
    });
  }
  return { show };
}
