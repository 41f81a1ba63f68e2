// Live discussion: every few seconds the page asks the server for its article's discussion
// version (a tiny response, 304 while nothing changed: static/js/live.js ↔ web.article_version).
// When it rises, the page itself is fetched again and the parts that show the discussion are
// swapped in and what is new is announced. A part the reader is busy in (typing, a tool open) is
// left alone and the version is not taken as seen, so the next poll brings that part in later.
import { announce } from "./announce.js";

const EVERY_MS = 4000;
const ITEM = "[data-annotation-id]";

function ids(root) {
  return new Set([...root.querySelectorAll(ITEM)].map((el) => el.dataset.annotationId));
}

const FOCUSABLE = "a[href], button, summary, input, select, textarea, [tabindex]";

/** Typing, or a form or tool open in it: the reader's work is not swapped away. */
function busy(region) {
  const active = document.activeElement;
  return (region.contains(active) && active.matches("input, select, textarea"))
    || region.querySelector("form.composer, details.tool[open], details.confirm[open]") !== null;
}

/** Swaps `old` for `fresh` unless the reader is busy in it; open discussions stay open and a
 * focused control keeps the focus (the same control in the fresh copy). */
function swap(old, fresh) {
  if (!old || !fresh || busy(old)) return false;
  const open = new Set([...old.querySelectorAll("details[open][data-discussion-for]")]
    .map((d) => d.dataset.discussionFor));
  const focusables = [...old.querySelectorAll(FOCUSABLE)];
  const focused = focusables.indexOf(document.activeElement);
  const copy = document.importNode(fresh, true);
  for (const details of copy.querySelectorAll("details[data-discussion-for]")) {
    details.open = open.has(details.dataset.discussionFor);
  }
  old.replaceWith(copy);
  if (focused >= 0) copy.querySelectorAll(FOCUSABLE)[focused]?.focus({ preventScroll: true });
  return true;
}

/** Brings in what changed; false when a region the reader is busy in had to wait. */
function refresh(doc) {
  const before = ids(document);
  // The reader's own part first (static/js/personal.js decorates the notes swapped in below).
  const layer = document.getElementById("personal-layer");
  const freshLayer = doc.getElementById("personal-layer");
  if (layer && freshLayer) layer.textContent = freshLayer.textContent;
  let complete = true;
  for (const old of [...document.querySelectorAll("[data-live-region][id]")]) {
    const fresh = doc.getElementById(old.id);
    if (fresh && !swap(old, fresh)) complete = false;
  }
  for (const old of document.querySelectorAll("[data-counts-for]")) {
    const fresh = doc.querySelector(`[data-counts-for="${CSS.escape(old.dataset.countsFor)}"]`);
    if (fresh && !old.closest("[data-live-region]")) old.replaceWith(document.importNode(fresh, true));
  }
  for (const el of document.querySelectorAll("[data-total-for]")) {
    const fresh = doc.querySelector(`[data-total-for="${CSS.escape(el.dataset.totalFor)}"]`);
    if (fresh) el.textContent = fresh.textContent;
  }
  const added = [...ids(document)].filter((id) => !before.has(id));
  if (added.length) {
    const where = document.querySelector(`${ITEM}[data-annotation-id="${added[0]}"]`)
      ?.closest("[data-block-name]")?.dataset.blockName;
    const n = added.length;
    announce(`${n} new note${n === 1 ? "" : "s"}${where ? ` on ${where}` : ""}.`);
  }
  return complete;
}

async function poll(root, state) {
  if (document.visibilityState !== "visible") return;
  try {
    // The browser sends its ETag and turns the server's 304 into the kept answer.
    const answer = await fetch(root.dataset.liveUrl, { cache: "no-cache", credentials: "same-origin" });
    if (!answer.ok) return;
    const { version } = await answer.json();
    if (version === state.version) return;
    const page = await fetch(window.location.href, { credentials: "same-origin" });
    if (!page.ok) return;
    const doc = new DOMParser().parseFromString(await page.text(), "text/html");
    if (refresh(doc)) state.version = version;
  } catch {
    // Offline for a moment: the next poll tries again.
  }
}

export function watchDiscussion(root) {
  const watched = root.querySelector("[data-live-url][data-version]");
  if (!watched) return;
  const state = { version: Number(watched.dataset.version) };
  window.setInterval(() => poll(watched, state), EVERY_MS);
}
