// The article page by keyboard (CONTRACT §7): j/k move between blocks; on a block, c opens the
// composer (quoting the words selected, if any) and q starts quoting: the first sentence is
// chosen, Shift+→/← grow or shrink it by a word, →/← move it by a sentence, Enter opens the
// composer on it, Esc cancels. In a composer, Ctrl+Enter posts and Esc closes it.
import { announce } from "./announce.js";
import { cancelEdit, closeComposer, openComposer } from "./discussion.js";
import { clearMarks, markRange } from "./highlight.js";
import { CONTEXT, quoteOf } from "./selection.js";
import { normalise } from "./text.js";

const MARK = "quote-keyboard";
let quoting = null; // {block, text, sentences: [[from, to]], words: [[from, to]], from, to}

function typing(target) {
  return target instanceof HTMLElement
    && (target.isContentEditable || target.closest("input, textarea, select"));
}

function blocks() {
  return [...document.querySelectorAll(".block[data-anchor]")];
}

function currentBlock() {
  return document.activeElement?.closest?.(".block[data-anchor]") || null;
}

function focusBlock(block) {
  block.tabIndex = -1;
  block.focus();
  block.scrollIntoView({ block: "nearest" });
}

function move(step) {
  const all = blocks();
  if (!all.length) return;
  const here = currentBlock();
  let index = here ? all.indexOf(here) + step : 0;
  if (!here && step < 0) index = all.length - 1;
  focusBlock(all[Math.max(0, Math.min(all.length - 1, index))]);
}

function spans(text, pattern) {
  return [...text.matchAll(pattern)].map((m) => [m.index, m.index + m[0].trimEnd().length]);
}

function show() {
  const el = quoting.block.querySelector(".block-text");
  clearMarks(el, MARK);
  markRange(el, quoting.from, quoting.to, MARK);
  announce(`Quoting: ${quoting.text.slice(quoting.from, quoting.to)}`);
}

function startQuoting(block) {
  const el = block.querySelector(".block-text");
  if (!el) return;
  const { text } = normalise(el.textContent);
  const sentences = spans(text, /[^.!?]+(?:[.!?]+["'”’)]*\s*|$)/g).filter(([a, b]) => b > a);
  const words = spans(text, /\S+\s*/g);
  if (!sentences.length || !words.length) return;
  const first = sentences[0];
  quoting = { block, text, sentences, words, from: first[0], to: first[1] };
  show();
}

function stopQuoting() {
  if (!quoting) return;
  clearMarks(quoting.block, MARK);
  quoting = null;
}

function wordEnds() {
  return quoting.words.map(([, end]) => end);
}

function grow(step) {
  const ends = wordEnds().filter((end) => end > quoting.from);
  const at = ends.findIndex((end) => end >= quoting.to);
  const next = ends[Math.max(0, Math.min(ends.length - 1, at + step))];
  if (next !== undefined) quoting.to = next;
}

function bySentence(step) {
  const { sentences } = quoting;
  let index = sentences.findIndex(([a, b]) => quoting.from >= a && quoting.from < b);
  index = Math.max(0, Math.min(sentences.length - 1, index + step));
  [quoting.from, quoting.to] = sentences[index];
}

function compose() {
  const { block, text, from, to } = quoting;
  const quote = {
    block,
    exact: text.slice(from, to),
    prefix: text.slice(Math.max(0, from - CONTEXT), from),
    suffix: text.slice(to, to + CONTEXT),
  };
  stopQuoting();
  openComposer(block, quote);
}

function onQuotingKey(event) {
  const keys = {
    ArrowRight: () => (event.shiftKey ? grow(1) : bySentence(1)),
    ArrowLeft: () => (event.shiftKey ? grow(-1) : bySentence(-1)),
  };
  if (keys[event.key]) {
    keys[event.key]();
    show();
  } else if (event.key === "Enter") {
    compose();
  } else if (event.key === "Escape") {
    const block = quoting.block;
    stopQuoting();
    announce("Quoting cancelled.");
    focusBlock(block);
  } else {
    return;
  }
  event.preventDefault();
}

function selectedQuote() {
  const selection = document.getSelection();
  if (!selection || selection.isCollapsed || !selection.rangeCount) return null;
  return quoteOf(selection.getRangeAt(0));
}

function onComposerKey(event, form) {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    form.requestSubmit();
  } else if (event.key === "Escape" && form.matches(".composer--edit")) {
    event.preventDefault();
    cancelEdit(form);
  } else if (event.key === "Escape" && form.hasAttribute("data-cloned")) {
    event.preventDefault();
    const block = document.querySelector(`.block[data-anchor="${CSS.escape(form.dataset.composerFor || "")}"]`)
      || form.closest(".block");
    closeComposer(form);
    if (block) focusBlock(block);
  }
}

function onKey(event) {
  const form = event.target.closest?.("form.composer");
  if (form) return onComposerKey(event, form);
  if (quoting) return onQuotingKey(event);
  if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
  const signedIn = document.getElementById("composer-template") !== null;
  if (event.key === "j" || event.key === "k") {
    event.preventDefault();
    move(event.key === "j" ? 1 : -1);
  } else if (event.key === "c" && signedIn) {
    const quote = selectedQuote();
    const block = quote?.block || currentBlock();
    if (!block) return;
    event.preventDefault();
    document.getSelection()?.removeAllRanges();
    openComposer(block, quote);
  } else if (event.key === "q" && signedIn && currentBlock()) {
    event.preventDefault();
    startQuoting(currentBlock());
  }
}

export function enhanceKeyboard(root) {
  if (!root.querySelector(".block[data-anchor]")) return;
  root.addEventListener("keydown", onKey);
}
