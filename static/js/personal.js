// The personal layer of a reading page. The notes on the article page are drawn once for every
// reader of the discussion (app/web/caching.py) and carry no one's controls; the page also holds
// the reader's own part: which notes are theirs, which they marked helpful or flagged
// (#personal-layer), and the controls themselves (#note-tools). Here each shared note gets the
// controls that are the reader's: Edit and Delete on their own notes, Helpful and Flag on
// others'. The server decides again when a control is used. Without JavaScript the same
// controls are on the paragraph page, where each note's Reply link leads.

const SHARED = "li[data-shared]:not([data-tools])";

function readLayer() {
  const island = document.getElementById("personal-layer");
  if (!island) return null;
  try {
    const data = JSON.parse(island.textContent);
    return {
      mine: new Set(data.mine.map(String)),
      marked: new Set(data.marked.map(String)),
      flagged: new Set(data.flagged.map(String)),
    };
  } catch {
    return null;
  }
}

function tool(name) {
  const template = document.getElementById("note-tools");
  return template.content.querySelector(`[data-tool="${name}"]`).cloneNode(true);
}

/** The form inside a cloned tool, aimed at this note and coming back to it. */
function aim(element, id) {
  const form = element.matches("form") ? element : element.querySelector("form");
  form.action = form.dataset.action.replace("{id}", id);
  form.removeAttribute("data-action");
  form.elements.next.value = `${window.location.pathname}${window.location.search}#a-${id}`;
  return element;
}

function pageLink(item, what, id) {
  const list = item.closest("[data-page-url]");
  const url = new URL(list ? list.dataset.pageUrl : window.location.href, window.location.href);
  url.searchParams.set(what, id);
  url.hash = `a-${id}`;
  return url.pathname + url.search + url.hash;
}

function helpful(item, id, marked) {
  const card = item.querySelector(":scope > .annotation-card");
  const shown = card.querySelector(":scope > .annotation-actions > .helpful-n");
  const n = Number(shown?.dataset.helpfulCount || 0);
  const author = card.querySelector(".annotation-author")?.textContent.trim() || "its author";
  const form = aim(tool("helpful"), id);
  const button = form.querySelector("button");
  if (marked) {
    const undo = document.createElement("input");
    Object.assign(undo, { type: "hidden", name: "undo", value: "y" });
    form.prepend(undo);
    button.classList.add("is-on");
    button.querySelector("span").textContent = "★";
  }
  button.setAttribute("aria-pressed", String(marked));
  button.setAttribute("aria-label", `Helpful: ${n} reader${n === 1 ? "" : "s"}`
    + `${marked ? ", including you" : ""}. `
    + `${marked ? "Take back your mark" : `Mark this note by ${author} as helpful`}`);
  if (n) {
    const count = document.createElement("b");
    Object.assign(count, { className: "helpful-n", textContent: String(n) });
    count.dataset.helpfulCount = String(n);
    button.append(" ", count);
  }
  return { form, replaces: shown };
}

function decorate(item, layer) {
  item.dataset.tools = "";
  const id = item.dataset.annotationId;
  const footer = item.querySelector(":scope > .annotation-card > .annotation-actions");
  if (!footer) return;
  const visible = !item.matches(".is-hidden, .is-deleted, .is-pending");
  if (layer.mine.has(id)) {
    if (item.matches(".is-deleted")) return;
    if (!item.hasAttribute("data-locked")) {
      const edit = tool("edit");
      edit.href = pageLink(item, "edit", id);
      edit.dataset.edit = id;
      footer.append(edit);
    }
    footer.append(aim(tool("delete"), id));
    return;
  }
  if (!visible) return;
  const { form, replaces } = helpful(item, id, layer.marked.has(id));
  const replies = footer.querySelector(":scope > .reply-count");
  if (replaces) replaces.replaceWith(form);
  else if (replies) replies.after(form);
  else footer.prepend(form);
  footer.append(layer.flagged.has(id) ? tool("flagged") : aim(tool("flag"), id));
}

export function enhancePersonal(root) {
  if (!root.getElementById?.("note-tools")) return;
  const run = () => {
    const layer = readLayer();
    if (!layer) return;
    for (const item of root.querySelectorAll(SHARED)) decorate(item, layer);
  };
  run();
  // Notes come and go without a reload (live updates, actions in place): each new one
  // is decorated as it arrives, from the layer as the server last drew it.
  new MutationObserver(run).observe(root.body, { childList: true, subtree: true });
}
