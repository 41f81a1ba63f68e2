// Opens a block's discussion in place and puts a composer (new note or reply) where it is needed.
import { clearMarks, highlightQuote } from "./highlight.js";

const PENDING = "quote-pending";

const byAttr = (name, value) => `[${name}="${CSS.escape(value)}"]`;

export function blockFor(anchor) {
  return document.querySelector(`.block${byAttr("data-anchor", anchor)}`);
}

/** Opens the block's collapsed panel (article page); null where the discussion is the page. */
export function openDiscussion(anchor) {
  const details = document.querySelector(`details${byAttr("data-discussion-for", anchor)}`);
  if (details) details.open = true;
  return details;
}

function cloneComposer(action, parentId) {
  const template = document.getElementById("composer-template");
  if (!template) return null;
  const form = template.content.firstElementChild.cloneNode(true);
  form.action = action;
  form.dataset.cloned = "";
  form.elements.parent.value = parentId || "";
  if (parentId) {
    form.classList.add("composer--reply");
    form.querySelector(".field--body .label").textContent = "Your reply";
    form.querySelector('button[type="submit"]').textContent = "Post reply";
    // A reply shares its parent's visibility.
    form.elements.private?.closest("label").remove();
  }
  return form;
}

/** Shows the quote in the composer and marks it in the paragraph until posted or dropped. */
export function setQuote(form, quote) {
  const box = form.querySelector(".composer-quote");
  clearMarks(document, PENDING);
  const block = form.dataset.composerFor ? blockFor(form.dataset.composerFor) : null;
  if (quote && block) highlightQuote(block.querySelector(".block-text"), quote.exact, quote.prefix, PENDING);
  form.elements.quote_exact.value = quote ? quote.exact : "";
  form.elements.quote_prefix.value = quote ? quote.prefix : "";
  form.elements.quote_suffix.value = quote ? quote.suffix : "";
  box.querySelector("blockquote").textContent = quote ? quote.exact : "";
  box.hidden = !quote;
}

/** Closes a composer: a cloned one goes away, the page's own is emptied. */
export function closeComposer(form) {
  setQuote(form, null);
  if (form.hasAttribute("data-cloned")) form.remove();
  else form.reset();
}

/** "smooth", unless the reader asked for less motion. */
export function scrollBehavior() {
  return window.matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth";
}

function focusComposer(form) {
  form.scrollIntoView({ block: "nearest", behavior: scrollBehavior() });
  form.querySelector("textarea").focus({ preventScroll: true });
}

/** The composer for a new note on the block, opened (and quoting `quote`, if given). */
export function openComposer(block, quote = null) {
  const anchor = block.dataset.anchor;
  let form = document.querySelector(`form.composer${byAttr("data-composer-for", anchor)}`);
  const details = openDiscussion(anchor);
  if (!form) {
    form = cloneComposer(block.dataset.postUrl, null);
    if (!form || !details) return null;
    form.dataset.composerFor = anchor;
    details.querySelector(".discussion-panel").append(form);
  }
  if (quote) setQuote(form, quote);
  focusComposer(form);
  return form;
}

function openReply(link) {
  const item = link.closest("[data-annotation-id]");
  let form = item.querySelector(":scope > form.composer--reply");
  if (!form) {
    form = cloneComposer(link.dataset.postUrl, link.dataset.replyTo);
    if (!form) return false;
    item.querySelector(":scope > .annotation-card").after(form);
  }
  focusComposer(form);
  return true;
}

/** Edit in place: the page's own edit form (drawn by the server for ?edit=) replaces the body. */
async function openEdit(link) {
  const item = link.closest("[data-annotation-id]");
  const card = item?.querySelector(":scope > .annotation-card");
  if (!card) return;
  if (card.querySelector("form.composer--edit")) {
    card.querySelector("form.composer--edit textarea").focus();
    return;
  }
  try {
    const answer = await fetch(link.href, { credentials: "same-origin" });
    if (!answer.ok) throw new Error(String(answer.status));
    const doc = new DOMParser().parseFromString(await answer.text(), "text/html");
    const form = doc.getElementById(item.id)?.querySelector("form.composer--edit");
    if (!form) throw new Error("no form");
    const body = card.querySelector(":scope > .annotation-body");
    const copy = document.importNode(form, true);
    if (body) {
      body.hidden = true;
      body.after(copy);
    } else {
      card.append(copy);
    }
    copy.querySelector("textarea").focus();
  } catch {
    window.location.assign(link.href); // the page with the form open works without us
  }
}

/** Back from editing: the form goes, the body and the focus come back. */
export function cancelEdit(form) {
  const card = form.closest(".annotation-card");
  form.remove();
  const body = card?.querySelector(":scope > .annotation-body");
  if (body) body.hidden = false;
  card?.querySelector("[data-edit]")?.focus();
}

function onClick(event) {
  const target = event.target.closest("a, button");
  if (!target) return;
  if (target.matches("[data-open-discussion]")) {
    const details = openDiscussion(target.dataset.openDiscussion);
    if (details) {
      event.preventDefault();
      details.querySelector("summary").focus();
    }
  } else if (target.matches("[data-compose]")) {
    const block = blockFor(target.dataset.compose);
    if (block && openComposer(block)) event.preventDefault();
  } else if (target.matches("[data-reply-to]")) {
    if (openReply(target)) event.preventDefault();
  } else if (target.matches('[data-action="cancel"]')) {
    event.preventDefault();
    closeComposer(target.closest("form"));
  } else if (target.matches("[data-edit]")) {
    event.preventDefault();
    openEdit(target);
  } else if (target.matches('[data-action="cancel-edit"]') && target.closest(".annotation-card")) {
    event.preventDefault();
    cancelEdit(target.closest("form"));
  } else if (target.matches("[data-close-discussion]")) {
    const details = target.closest("details");
    details.open = false;
    details.querySelector("summary").focus();
  } else if (target.matches('[data-action="drop-quote"]')) {
    setQuote(target.closest("form"), null);
  }
}

export function enhanceDiscussions(root) {
  root.addEventListener("click", onClick);
}
