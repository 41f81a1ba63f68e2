// Posts a note or reply without a reload: the server answers with the annotation drawn by the
// same template macro as the page, and the block's new counts.
import { announce } from "./announce.js";
import { closeComposer, scrollBehavior } from "./discussion.js";
import { highlightQuote } from "./highlight.js";

const byAttr = (name, value) => `[${name}="${CSS.escape(String(value))}"]`;

function csrfToken(form) {
  return form.elements.csrf_token?.value
    || document.querySelector('meta[name="csrf-token"]')?.content || "";
}

function clearErrors(form) {
  form.querySelectorAll(".field-error").forEach((el) => el.remove());
  form.querySelectorAll(".has-error").forEach((el) => el.classList.remove("has-error"));
  const box = form.querySelector(".form-error");
  box.replaceChildren();
  box.hidden = true;
}

function showErrors(form, errors) {
  clearErrors(form);
  const box = form.querySelector(".form-error");
  for (const [name, message] of Object.entries(errors)) {
    const field = name === "form" ? null : form.elements[name]?.closest(".field");
    if (field) {
      const note = document.createElement("span");
      note.className = "field-error";
      note.textContent = message;
      field.classList.add("has-error");
      field.append(note);
    } else {
      const line = document.createElement("p");
      line.textContent = message;
      box.append(line);
      box.hidden = false;
    }
  }
}

/** Redraws the block's count badges (the server's HTML) and its totals. */
export function updateCounts(anchor, countsHtml, total) {
  for (const old of document.querySelectorAll(byAttr("data-counts-for", anchor))) {
    old.replaceWith(fragment(countsHtml));
  }
  for (const el of document.querySelectorAll(byAttr("data-total-for", anchor))) {
    el.textContent = String(total);
    el.closest("[hidden]")?.removeAttribute("hidden");
  }
  const toggle = document.querySelector(
    `details${byAttr("data-discussion-for", anchor)} > summary`,
  );
  // Only the visible word changes: the hidden "paragraph 3" keeps the name unique.
  if (toggle && total > 0 && toggle.firstChild?.nodeType === Node.TEXT_NODE) {
    toggle.firstChild.data = "Discussion";
  }
}

function bumpReplyCount(parent) {
  const footer = parent.querySelector(":scope > .annotation-card .annotation-actions");
  let count = footer.querySelector("[data-reply-count]");
  if (!count) {
    count = document.createElement("span");
    count.className = "reply-count";
    count.dataset.replyCount = "0";
    footer.prepend(count);
  }
  const n = Number(count.dataset.replyCount) + 1;
  count.dataset.replyCount = String(n);
  count.textContent = `${n} repl${n === 1 ? "y" : "ies"}`;
}

/** An element from the server's own rendering (of sanitised, stored HTML). */
function fragment(html) {
  const template = document.createElement("template");
  template.innerHTML = html;
  return template.content.firstElementChild;
}

function insert(data, quote) {
  const item = fragment(data.html);
  item.classList.add("is-new");
  if (data.parent) {
    const parent = document.querySelector(byAttr("data-annotation-id", data.parent));
    if (!parent) return null;
    let replies = parent.querySelector(":scope > ol.replies");
    if (!replies) {
      replies = document.createElement("ol");
      replies.className = "replies";
      parent.append(replies);
    }
    replies.append(item);
    bumpReplyCount(parent);
  } else {
    const threads = document.querySelector(`ol${byAttr("data-threads-for", data.anchor)}`);
    if (!threads) return null;
    threads.append(item);
    threads.parentElement.querySelector(".discussion-empty")?.remove();
  }
  updateCounts(data.anchor, data.counts_html, data.total);
  if (quote.exact) {
    const text = document.querySelector(`.block${byAttr("data-anchor", data.anchor)} .block-text`);
    if (text) highlightQuote(text, quote.exact, quote.prefix);
  }
  return item;
}

async function submit(form) {
  const button = form.querySelector('button[type="submit"]');
  const quote = { exact: form.elements.quote_exact.value, prefix: form.elements.quote_prefix.value };
  button.disabled = true;
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: {
        "X-Requested-With": "fetch",
        "X-CSRFToken": csrfToken(form),
        Accept: "application/json",
      },
    });
    const json = (response.headers.get("Content-Type") || "").includes("application/json");
    const data = json ? await response.json() : null;
    if (response.ok && data && data.html) {
      clearErrors(form);
      closeComposer(form);
      const item = insert(data, quote);
      if (item) {
        // Focus follows the new note (it was lost to <body> when the composer went away).
        const card = item.querySelector(".annotation-card") || item;
        card.tabIndex = -1;
        card.focus({ preventScroll: true });
        card.scrollIntoView({ block: "nearest", behavior: scrollBehavior() });
        announce(data.parent ? "Your reply is posted." : "Your note is posted.");
      } else {
        window.location.assign(`/annotations/${data.id}`);
      }
    } else {
      showErrors(form, data?.errors || {
        form: `That did not work (error ${response.status}). Reload the page and try again.`,
      });
    }
  } catch {
    showErrors(form, { form: "The network is not answering. Your text is still here; try again." });
  } finally {
    button.disabled = false;
  }
}

export function enhanceForms(root) {
  root.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.dataset.enhance !== "post") return;
    event.preventDefault();
    submit(form);
  });
}
