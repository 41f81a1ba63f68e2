// Small action forms (flag, moderate, feedback, the queue's buttons) act without a reload. The
// plain form is posted exactly as it would be without JavaScript; the server redirects back to
// this page, and the parts that changed are taken from that answer: the annotation or queue
// item the form belongs to, the flash message and the header's counts.
import { announce } from "./announce.js";

const REGION = "[data-queue-item], li[data-annotation-id]";
// The personal layer goes first: the notes swapped in next are decorated from it.
const ALSO = ["#personal-layer", "nav.account", "[data-queue-count]"];

function here() {
  return window.location.pathname + window.location.search;
}

function samePage(url) {
  const target = new URL(url, window.location.href);
  return target.origin === window.location.origin && target.pathname + target.search === here();
}

function showFlashes(doc) {
  const fresh = doc.querySelector(".flashes");
  const old = document.querySelector(".flashes");
  if (old) old.remove();
  if (fresh) document.querySelector("main").before(document.importNode(fresh, true));
}

function replaceRegion(region, doc, message) {
  const fresh = region.id ? doc.getElementById(region.id) : null;
  if (fresh) {
    const copy = document.importNode(fresh, true);
    region.replaceWith(copy);
    // The focus was on the button just replaced: it goes to the note, not to <body>.
    const card = copy.querySelector(".annotation-card") || copy;
    card.tabIndex = -1;
    card.focus({ preventScroll: true });
    return;
  }
  // The server's page no longer has it (a queue item dealt with): say what happened instead.
  const done = document.createElement(region.tagName);
  done.className = "queue-item queue-item--done";
  done.setAttribute("role", "status");
  done.textContent = message || "Done.";
  region.replaceWith(done);
}

function replaceAlso(doc) {
  for (const selector of ALSO) {
    const old = document.querySelector(selector);
    const fresh = doc.querySelector(selector);
    if (old && fresh) old.replaceWith(document.importNode(fresh, true));
  }
}

function plainly(form, submitter) {
  form.querySelectorAll("button").forEach((b) => { b.disabled = false; });
  form.dataset.plain = "";
  form.requestSubmit(submitter);
}

async function submit(form, submitter) {
  const region = form.closest(REGION);
  if (form.elements.next && region?.id) form.elements.next.value = `${here()}#${region.id}`;
  const body = new FormData(form, submitter);
  const buttons = form.querySelectorAll("button");
  buttons.forEach((b) => { b.disabled = true; });
  try {
    const response = await fetch(form.getAttribute("action"), {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    });
    if (!response.ok) {
      plainly(form, submitter); // an error page: let the browser show it as a page
      return;
    }
    if (!samePage(response.url)) {
      window.location.assign(response.url); // sent elsewhere, to sign in for one
      return;
    }
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    const message = doc.querySelector(".flashes .flash")?.textContent.trim();
    showFlashes(doc);
    if (message) announce(message);
    replaceAlso(doc);
    if (region) replaceRegion(region, doc, message);
  } catch {
    plainly(form, submitter); // the network hiccuped: fall back to the plain form
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

export function enhanceInPlace(root) {
  root.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-inplace")) return;
    if (form.hasAttribute("data-plain")) return;
    event.preventDefault();
    submit(form, event.submitter);
  });
}
