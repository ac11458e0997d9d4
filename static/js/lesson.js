// Narration and predict-then-reveal questions. The server placed every step and question
// on the layout's steps; this module shows the narration for the cursor and asks a
// question before its step is shown. The answer was computed from the trace on the server.
export function mountLesson(lesson, { strings }) {
  const T = (k) => strings[k] || k;
  const text = document.getElementById("narration-text");
  const box = document.getElementById("question");
  const earlier = document.getElementById("narration-earlier");
  const answered = new Set();
  // show writes the narration of the step at the cursor. A narration belongs to its step
  // and to the steps at the same virtual instant (a call, its state change and the
  // segment it sends); past them, the step's own line is shown, and the narration it
  // follows is kept under it, marked with its step, never passed off as the current one.
  function show(cursor, steps, lang) {
    if (!text) return;
    let cur = null;
    for (const s of lesson.steps) if (s.step <= cursor && (!cur || s.step >= cur.step)) cur = s;
    const a = cur && steps && steps[cur.step], b = steps && steps[cursor];
    const fresh = !cur || cur.step === cursor || !a || !b || a.at_us === b.at_us;
    let main = cur ? cur.text : lesson.intro, old = "";
    if (!fresh) {
      main = `${T("player.step")} ${cursor + 1}: ${(b.text && (b.text[lang] || b.text.en)) || ""}`;
      old = `${T("lesson.earlier")} ${cur.step + 1}: ${cur.text}`;
    }
    // A narration may point to lessons (an imported connection's anomalies): links
    // after its text, while it is the current one.
    const links = fresh && cur && cur.links ? cur.links : [];
    const key = main + "\u0000" + links.map((l) => l.url).join(" ");
    if (text.dataset.shown !== key) {
      text.dataset.shown = key;
      text.textContent = main;
      for (const l of links) {
        const a = document.createElement("a");
        a.href = l.url;
        a.textContent = l.text;
        a.dataset.testid = "narration-link";
        text.append(" ", a);
      }
    }
    if (earlier) {
      earlier.hidden = !old;
      if (earlier.textContent !== old) earlier.textContent = old;
    }
  }
  // pending returns the first unanswered question between the cursor and the target.
  function pending(from, to) {
    return lesson.questions.find((q, i) => !answered.has(i) && q.step > from && q.step <= to) || null;
  }
  function ask(q, done) {
    const i = lesson.questions.indexOf(q);
    box.hidden = false;
    box.textContent = "";
    const form = document.createElement("form");
    const fs = document.createElement("fieldset");
    const legend = document.createElement("legend");
    legend.textContent = `${T("lesson.predict")} ${q.ask}`;
    fs.appendChild(legend);
    q.choices.forEach((c, k) => {
      const label = document.createElement("label");
      const input = document.createElement("input");
      input.type = "radio";
      input.name = "choice";
      input.value = c;
      input.dataset.testid = "choice";
      if (k === 0) input.required = true;
      label.append(input, " ", c);
      fs.appendChild(label);
    });
    const check = document.createElement("button");
    check.type = "submit";
    check.textContent = T("lesson.check");
    check.dataset.testid = "check";
    // A teacher may move on without answering: skip closes the question unanswered.
    const skip = document.createElement("button");
    skip.type = "button";
    skip.textContent = T("lesson.skip");
    skip.dataset.testid = "skip";
    skip.className = "q-skip";
    skip.addEventListener("click", () => { answered.add(i); box.hidden = true; done(); });
    form.append(fs, check, " ", skip);
    box.appendChild(form);
    form.querySelector("input").focus();
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const picked = form.querySelector("input:checked");
      if (!picked) return;
      answered.add(i);
      const ok = picked.value === q.answer;
      document.dispatchEvent(new CustomEvent("synack:answer", { detail: { question: i, step: q.step, choice: picked.value, correct: ok } }));
      const reveal = document.createElement("div");
      reveal.className = "reveal " + (ok ? "right" : "wrong");
      reveal.dataset.testid = "reveal";
      reveal.setAttribute("role", "status");
      const p = document.createElement("p");
      p.textContent = ok ? `${T("lesson.correct")} ${q.explain}` : `${T("lesson.wrong")} ${q.answer}. ${q.explain}`;
      const cont = document.createElement("button");
      cont.type = "button";
      cont.textContent = T("lesson.continue");
      cont.dataset.testid = "continue";
      cont.addEventListener("click", () => { box.hidden = true; done(); });
      reveal.append(p, cont);
      form.replaceWith(reveal);
      cont.focus();
    });
  }
  // settle marks a question done without asking it here (a classroom asks it).
  function settle(q) {
    answered.add(lesson.questions.indexOf(q));
  }
  return { show, pending, ask, settle, get asking() { return box && !box.hidden; } };
}
