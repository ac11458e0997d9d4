// The catalogue's filter: cards whose title, summary or id do not contain every word
// typed are hidden, and so is a section left empty. Without script every card shows.
const input = document.getElementById("cat-filter");
const none = document.querySelector("[data-testid=catalogue-none]");
const groups = [...document.querySelectorAll("[data-testid=catalogue-group]")];

function filter() {
  const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
  let shown = 0;
  for (const g of groups) {
    let n = 0;
    for (const c of g.querySelectorAll("[data-testid=card]")) {
      const text = c.textContent.toLowerCase();
      const ok = words.every((w) => text.includes(w));
      c.hidden = !ok;
      if (ok) n++;
    }
    g.hidden = n === 0;
    shown += n;
  }
  none.hidden = shown > 0;
}

if (input) {
  input.addEventListener("input", filter);
  if (input.value) filter(); // a value the browser restored
}
