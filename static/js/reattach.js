// Re-attaching an orphaned note by selecting its new words in the text. "Choose new words"
// arms the note's (no-JS) re-attach form; the next selection inside one paragraph is sent
// with it as the quote, when "Attach here" is pressed. Esc or "Cancel" disarms.
import { quoteOf } from "./selection.js";

let armed = null;
let bar = null;
let message = null;

function makeBar() {
  bar = document.createElement("div");
  bar.className = "reattach-bar";
  bar.setAttribute("role", "status");
  bar.hidden = true;
  message = document.createElement("p");
  const attach = document.createElement("button");
  attach.type = "button";
  attach.className = "button button--small";
  attach.textContent = "Attach here";
  const cancel = document.createElement("button");
  cancel.type = "button";
  cancel.className = "button button--small button--quiet";
  cancel.textContent = "Cancel";
  // Pressing a button must not lose the reader's selection.
  for (const b of [attach, cancel]) b.addEventListener("mousedown", (e) => e.preventDefault());
  attach.addEventListener("click", submit);
  cancel.addEventListener("click", disarm);
  bar.append(message, attach, cancel);
  document.body.append(bar);
}

function disarm() {
  armed = null;
  bar.hidden = true;
}

function submit() {
  const selection = document.getSelection();
  const quote =
    selection && !selection.isCollapsed && selection.rangeCount
      ? quoteOf(selection.getRangeAt(0))
      : null;
  if (!armed || !quote || !quote.block) {
    message.textContent = "First select the words in one paragraph of the text.";
    return;
  }
  const form = armed;
  form.elements.anchor.value = quote.block.dataset.anchor;
  form.elements.quote_text.value = quote.exact;
  form.elements.quote_prefix.value = quote.prefix;
  form.elements.quote_suffix.value = quote.suffix;
  form.submit();
}

export function enhanceReattach(root) {
  const forms = root.querySelectorAll("form[data-reattach]");
  if (!forms.length) return;
  makeBar();
  for (const form of forms) {
    form.hidden = false;
    form.querySelector("[data-choose]").addEventListener("click", () => {
      armed = form;
      message.textContent = "Select the words this note is about now, then press “Attach here”.";
      bar.hidden = false;
      const still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
      document.querySelector(".blocks")?.scrollIntoView({ behavior: still ? "auto" : "smooth" });
    });
  }
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && armed) disarm();
  });
}
