// Selecting words inside one paragraph offers "Comment on this", which opens that paragraph's
// composer quoting them (W3C TextQuoteSelector: exact text plus context either side).
import { openComposer } from "./discussion.js";
import { normalise } from "./text.js";

const CONTEXT = 32;
let button = null;
let pending = null;

export function quoteOf(range) {
  // Both ends must lie in the same paragraph: their common ancestor is inside its text.
  const common = range.commonAncestorContainer;
  const el = (common.nodeType === Node.ELEMENT_NODE ? common : common.parentElement)
    ?.closest(".block-text");
  if (!el) return null;
  const before = document.createRange();
  before.selectNodeContents(el);
  before.setEnd(range.startContainer, range.startOffset);
  const rawStart = before.toString().length;
  const rawEnd = rawStart + range.toString().length;
  const { text, toNorm } = normalise(el.textContent);
  let from = toNorm[rawStart];
  let to = toNorm[rawEnd];
  while (from < to && text[from] === " ") from += 1;
  while (to > from && text[to - 1] === " ") to -= 1;
  if (to <= from) return null;
  return {
    block: el.closest(".block"),
    exact: text.slice(from, to),
    prefix: text.slice(Math.max(0, from - CONTEXT), from),
    suffix: text.slice(to, to + CONTEXT),
  };
}

function hide() {
  pending = null;
  if (button) button.hidden = true;
}

function update() {
  const selection = document.getSelection();
  if (!selection || selection.isCollapsed || selection.rangeCount === 0) return hide();
  const range = selection.getRangeAt(0);
  pending = quoteOf(range);
  if (!pending) return hide();
  const rect = range.getBoundingClientRect();
  button.hidden = false;
  const width = button.offsetWidth;
  const left = Math.min(
    Math.max(8, rect.left + rect.width / 2 - width / 2),
    document.documentElement.clientWidth - width - 8,
  );
  // Below the selection: a phone shows its own selection menu above it.
  button.style.top = `${window.scrollY + rect.bottom + 10}px`;
  button.style.left = `${window.scrollX + left}px`;
}

export function enhanceSelection(root) {
  if (!document.body.hasAttribute("data-signed-in")) return;
  if (!root.querySelector(".block-text") || !document.getElementById("composer-template")) return;
  button = document.createElement("button");
  button.type = "button";
  button.className = "select-comment";
  button.textContent = "Comment on this";
  button.hidden = true;
  document.body.append(button);
  // Keep the selection when the button is pressed.
  button.addEventListener("mousedown", (event) => event.preventDefault());
  button.addEventListener("click", () => {
    const quote = pending;
    hide();
    if (!quote) return;
    document.getSelection().removeAllRanges();
    openComposer(quote.block, quote);
  });
  let timer = 0;
  document.addEventListener("selectionchange", () => {
    clearTimeout(timer);
    timer = setTimeout(update, 120);
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") hide();
  });
}
