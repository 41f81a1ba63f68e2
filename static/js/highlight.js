// Highlights quoted phrases in a block by matching text, wrapping them in <mark>.
import { normalise, textNodes } from "./text.js";

function wrap(el, start, end, cls) {
  let offset = 0;
  for (const node of textNodes(el)) {
    const from = offset;
    const to = offset + node.data.length;
    offset = to;
    if (to <= start || from >= end) continue;
    if (node.parentElement.closest(`mark.${cls}`)) continue;
    let piece = node;
    if (start > from) piece = piece.splitText(start - from);
    if (end < to) piece.splitText(end - Math.max(start, from));
    const mark = document.createElement("mark");
    mark.className = cls;
    piece.replaceWith(mark);
    mark.append(piece);
  }
}

/** Marks the first occurrence of `quote` (with `prefix` to choose among several) in `el`. */
export function highlightQuote(el, quote, prefix = "", cls = "quote-highlight") {
  const raw = textNodes(el).map((n) => n.data).join("");
  const { text, toRaw } = normalise(raw);
  const exact = normalise(quote).text;
  if (!exact) return false;
  let at = -1;
  if (prefix) {
    const withPrefix = text.indexOf(normalise(prefix).text + exact);
    if (withPrefix >= 0) at = withPrefix + normalise(prefix).text.length;
  }
  if (at < 0) at = text.indexOf(exact);
  if (at < 0) return false;
  wrap(el, toRaw[at], toRaw[at + exact.length - 1] + 1, cls);
  return true;
}

/** Marks `el`'s normalised text from `from` to `to` (offsets into normalise(text).text). */
export function markRange(el, from, to, cls) {
  const raw = textNodes(el).map((n) => n.data).join("");
  const { toRaw } = normalise(raw);
  if (to <= from) return;
  wrap(el, toRaw[from], toRaw[to - 1] + 1, cls);
}

/** Takes away the marks of class `cls` under `root`, leaving their text in place. */
export function clearMarks(root, cls) {
  for (const mark of root.querySelectorAll(`mark.${cls}`)) {
    const parent = mark.parentNode;
    mark.replaceWith(...mark.childNodes);
    parent.normalize();
  }
}

export function highlightAll(root) {
  for (const el of root.querySelectorAll(".block-text[data-quotes]")) {
    let quotes = [];
    try {
      quotes = JSON.parse(el.dataset.quotes);
    } catch {
      continue;
    }
    // Longest first, so a short quote inside a long one does not split its mark.
    quotes.sort((a, b) => b.length - a.length).forEach((q) => highlightQuote(el, q));
  }
}
