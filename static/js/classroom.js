// The classroom. The teacher's page drives the player and the room's vote; a
// student's page follows the room: it moves the player to the teacher's step and
// shows the open question with its answer buttons. The room's state lives on the
// server (in NATS); this module only reflects it, and asks for it again on every
// reconnect, so a phone that slept or changed replica catches up at once.
// It talks to the player through DOM events: the player announces its step
// ("synack:state") and a question it reached ("synack:ask"); this module moves a
// student's player ("synack:goto").
const boot = JSON.parse(document.getElementById("boot").textContent);
const cls = boot.class;
const T = (k) => boot.strings[k] || k;
const $ = (s) => document.querySelector(s);
const teacher = cls.role === "teacher";
const questions = (boot.lesson && boot.lesson.questions) || [];
const storeKey = `synack-class-${cls.code}`;

let ws = null;
let retries = 0;
let state = null;
let final = false; // the room is gone: no more reconnects
let mine = null; // a student's answer: { key: "question.round", choice }
let welcomeMine; // the answer the server remembered, until the first state places it
let tally = null; // the teacher's live count
let pendingDone = null; // the player's "carry on" for the question being asked
let lastStep = null;
let want = null; // the teacher's step, to be sent
let sent = null; // the last step sent

const stored = () => {
  try { return JSON.parse(localStorage.getItem(storeKey)) || {}; } catch { return {}; }
};
const store = (o) => {
  try { localStorage.setItem(storeKey, JSON.stringify({ ...stored(), ...o })); } catch { /* private mode: a reconnect is a new student */ }
};

function status(text) {
  const el = $("[data-testid=class-status]");
  if (el) el.textContent = text;
}

function connect() {
  if (final) return;
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  ws = new WebSocket(`${proto}//${location.host}/class/${cls.code}/ws`);
  status(T("class.connecting"));
  ws.onopen = () => {
    retries = 0;
    const s = stored();
    ws.send(JSON.stringify(teacher ? { type: "hello", role: "teacher", key: cls.key }
      : { type: "hello", role: "student", student: s.student || "", nick: s.nick || "" }));
  };
  ws.onmessage = (e) => receive(JSON.parse(e.data));
  ws.onclose = () => {
    ws = null;
    if (final) return;
    status(T("class.lost"));
    // Back off, up to five seconds between tries, while the page is open.
    setTimeout(connect, Math.min(5000, 250 * 2 ** retries++));
  };
}

// A phone that wakes up reconnects at once rather than at its next try.
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && (!ws || ws.readyState > WebSocket.OPEN) && !final) {
    retries = 0;
    connect();
  }
});

function send(m) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m));
}

function receive(m) {
  switch (m.type) {
    case "welcome":
      if (m.student) store({ student: m.student });
      welcomeMine = m.mine || null;
      status(teacher ? T("class.teaching") : T("class.connected"));
      break;
    case "state":
      state = m;
      if (welcomeMine !== undefined) {
        mine = welcomeMine ? { key: qkey(m), choice: welcomeMine } : null;
        welcomeMine = undefined;
      }
      // A teacher who moved while the socket was down sends where they are now.
      if (teacher && want !== null && m.step !== want) send({ type: "step", step: (sent = want) });
      if (!teacher && m.step !== lastStep) {
        lastStep = m.step;
        document.dispatchEvent(new CustomEvent("synack:goto", { detail: { step: m.step } }));
      }
      render();
      break;
    case "students": {
      const el = $("[data-testid=students]");
      if (el) el.textContent = String(m.students);
      break;
    }
    case "tally":
      tally = m;
      render();
      break;
    case "answered":
      mine = { key: `${m.question}.${m.round}`, choice: m.choice };
      render();
      break;
    case "error": {
      const text = T(`class.err.${m.code}`); // class.err.* (see web/classroom errCode)
      if (["no-room", "expired", "full", "not-teacher"].includes(m.code)) final = true;
      if (!teacher && $("[data-testid=class-result]") && state && state.question >= 0) $("[data-testid=class-result]").textContent = text;
      else status(text);
      break;
    }
  }
}

const explain = () => (state.explain && (state.explain[boot.lang] || state.explain.en)) || "";
const qkey = (s) => `${s.question}.${s.round}`;

function histogram(el, q, counts) {
  el.hidden = !counts;
  el.textContent = "";
  if (!counts) return;
  const total = counts.reduce((a, b) => a + b, 0) || 1;
  q.choices.forEach((c, i) => {
    const li = document.createElement("li");
    const label = document.createElement("span");
    label.className = "h-label";
    label.textContent = c;
    const bar = document.createElement("span");
    bar.className = "h-bar";
    bar.style.setProperty("--share", `${(100 * (counts[i] || 0)) / total}%`);
    const n = document.createElement("span");
    n.className = "h-count";
    n.textContent = String(counts[i] || 0);
    if (state.phase === "answer" && c === state.answer) li.className = "h-right";
    li.append(label, bar, n);
    el.appendChild(li);
  });
}

function render() {
  if (!state) return;
  const box = $("#class-question");
  const q = state.question >= 0 ? questions[state.question] : null;
  if (!box) return;
  box.hidden = !q;
  if (!q) {
    if (!teacher) status(T("class.connected") + " " + T("class.waiting"));
    return;
  }
  $("[data-testid=class-ask]").textContent = q.ask;
  histogram($("[data-testid=histogram]"), q, state.counts);
  if (teacher) renderTeacher(q);
  else renderStudent(q);
}

function renderTeacher(q) {
  const live = tally && tally.question === state.question && tally.round === state.round ? tally.answers : 0;
  $("[data-testid=answers]").textContent = String(live);
  $("[data-testid=class-round]").textContent = state.round > 1 ? `(${T("class.round").replace("{n}", state.round)})` : "";
  const ans = $("[data-testid=class-answer]");
  ans.hidden = state.phase !== "answer";
  if (state.phase === "answer") ans.textContent = `${T("lesson.answer")}${T("class.colon")}${state.answer}${T("class.stop")} ${explain()}`;
  $("[data-testid=class-show]").disabled = state.phase !== "voting";
  $("[data-testid=class-revote]").disabled = state.phase === "voting";
  $("[data-testid=class-reveal]").disabled = state.phase === "answer";
}

function renderStudent(q) {
  const box = $("[data-testid=class-choices]");
  const key = qkey(state);
  const my = mine && mine.key === key ? mine.choice : null;
  const open = state.phase === "voting" && my == null;
  // The buttons are built once per question and round, then only updated, so a
  // button keeps focus while the state changes around it.
  if (box.dataset.key !== key) {
    box.dataset.key = key;
    box.textContent = "";
    for (const c of q.choices) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = c;
      b.dataset.choice = c;
      b.dataset.testid = "class-choice";
      box.appendChild(b);
    }
  }
  for (const b of box.children) {
    b.disabled = !open;
    b.setAttribute("aria-pressed", String(b.dataset.choice === my));
  }
  const out = $("[data-testid=class-result]");
  if (state.phase === "answer") {
    const head = my == null ? T("class.noanswer") : my === state.answer ? T("class.right") : T("class.wrong");
    out.textContent = `${head} ${state.answer}${T("class.stop")} ${explain()}`;
    out.className = "class-result " + (my === state.answer ? "right" : "wrong");
  } else {
    out.className = "class-result";
    out.textContent = my != null ? `${T("class.sent")} ${my}` : state.phase === "voting" ? "" : T("class.closed");
  }
  status(T("class.connected"));
}

document.addEventListener("click", (e) => {
  const choice = e.target.closest("[data-testid=class-choice]");
  if (choice && state && !choice.disabled) {
    send({ type: "answer", question: state.question, round: state.round, choice: choice.dataset.choice });
    return;
  }
  const b = e.target.closest("[data-class]");
  if (!b || !teacher) return;
  if (b.dataset.class === "continue") {
    send({ type: "close" });
    const done = pendingDone;
    pendingDone = null;
    if (done) done();
    return;
  }
  send({ type: b.dataset.class });
});

const nickForm = $("[data-testid=class-nick-form]");
if (nickForm) {
  const input = nickForm.querySelector("input");
  input.value = stored().nick || "";
  nickForm.addEventListener("submit", (e) => {
    e.preventDefault();
    store({ nick: input.value.trim() });
    send({ type: "nick", nick: input.value.trim() });
  });
}

if (teacher) {
  // The teacher's step goes to the room: at most ten times a second, the last one
  // always (an arrow key held down sends the step it stops at).
  let timer = null;
  const flush = () => {
    timer = null;
    if (want !== sent && ws && ws.readyState === WebSocket.OPEN) {
      sent = want;
      send({ type: "step", step: want });
    }
  };
  document.addEventListener("synack:state", (e) => {
    want = e.detail.cursor;
    if (state && state.step === want && sent === null) sent = want;
    if (!timer) timer = setTimeout(flush, 100);
  });
  document.addEventListener("synack:ask", (e) => {
    pendingDone = e.detail.done;
    send({ type: "ask", question: e.detail.index });
  });
}

connect();
