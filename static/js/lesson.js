// Narration and predict-then-reveal questions. The server placed every step and question
// on the layout's steps; this module shows the narration for the cursor and asks a
// question before its step is shown. The answer was computed from the trace on the server.
export function mountLesson(lesson, { strings }) {
  const T = (k) => strings[k] || k;
  const text = document.getElementById("narration-text");
  const box = document.getElementById("question");
  const answered = new Set();
  function show(cursor) {
    if (!text) return;
    let cur = null;
    for (const s of lesson.steps) if (s.step <= cursor && (!cur || s.step >= cur.step)) cur = s;
    text.textContent = cur ? cur.text : lesson.intro;
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
    form.append(fs, check);
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
