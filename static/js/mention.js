// @mention completion in a composer: typing "@an" offers the people who may usefully be
// mentioned there (the group's members, or the article's public participants). Arrow keys
// choose, Enter or Tab inserts "@username ", Escape closes. Without JavaScript, typing
// "@username" by hand works the same: the server turns it into a link.
const ENDPOINT = "/api/v1/people/mentionable";
const TYPED = /(?:^|[^\w@/.+-])@([a-z0-9][a-z0-9_.-]{0,39})?$/i;
let counter = 0;

function scope(form) {
  const group = form.elements.group?.value;
  if (group) return { group };
  const match = (form.getAttribute("action") || "").match(/^\/articles\/([^/]+)\//);
  const slug = match ? match[1] : document.querySelector("article[data-slug]")?.dataset.slug;
  return slug ? { article: slug } : null;
}

function typedName(area) {
  const before = area.value.slice(0, area.selectionStart);
  const found = before.match(TYPED);
  return found ? { name: found[1] || "", start: before.lastIndexOf("@") } : null;
}

class Completion {
  constructor(area) {
    this.area = area;
    this.list = document.createElement("ul");
    this.list.id = `mention-list-${++counter}`;
    this.list.className = "mention-list";
    this.list.setAttribute("role", "listbox");
    this.list.setAttribute("aria-label", "People to mention");
    this.list.hidden = true;
    area.insertAdjacentElement("afterend", this.list);
    area.setAttribute("aria-autocomplete", "list");
    // aria-expanded is not allowed on a textarea (role textbox); the listbox's own hidden
    // state and aria-activedescendant tell assistive technology what is on offer.
    area.setAttribute("aria-controls", this.list.id);
    this.items = [];
    this.active = -1;
    this.timer = 0;
    area.addEventListener("input", () => this.changed());
    area.addEventListener("keydown", (event) => this.key(event));
    area.addEventListener("blur", () => setTimeout(() => this.close(), 150));
    this.list.addEventListener("mousedown", (event) => {
      const option = event.target.closest("[role=option]");
      if (option) {
        event.preventDefault();
        this.choose(Number(option.dataset.index));
      }
    });
  }

  changed() {
    clearTimeout(this.timer);
    const typed = typedName(this.area);
    const where = scope(this.area.form);
    if (!typed || !where) return this.close();
    this.timer = setTimeout(() => this.fetch(typed.name, where), 120);
  }

  async fetch(name, where) {
    const query = new URLSearchParams({ q: name, ...where });
    let response;
    try {
      response = await fetch(`${ENDPOINT}?${query}`, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
    } catch {
      return this.close();
    }
    if (!response.ok) return this.close();
    const { items } = await response.json();
    if (!typedName(this.area)) return this.close();
    this.show(items);
  }

  show(items) {
    this.items = items;
    this.list.replaceChildren(
      ...items.map((person, index) => {
        const option = document.createElement("li");
        option.id = `${this.list.id}-${index}`;
        option.setAttribute("role", "option");
        option.dataset.index = String(index);
        option.dataset.username = person.username;
        const name = document.createElement("span");
        name.textContent = person.display_name;
        const handle = document.createElement("span");
        handle.className = "muted";
        handle.textContent = ` @${person.username}`;
        option.append(name, handle);
        return option;
      }),
    );
    this.list.hidden = items.length === 0;
    this.move(items.length ? 0 : -1);
  }

  move(index) {
    this.active = index;
    [...this.list.children].forEach((option, i) => {
      option.setAttribute("aria-selected", String(i === index));
    });
    if (index >= 0) this.area.setAttribute("aria-activedescendant", `${this.list.id}-${index}`);
    else this.area.removeAttribute("aria-activedescendant");
  }

  key(event) {
    if (this.list.hidden || event.ctrlKey || event.metaKey) return;
    const last = this.items.length - 1;
    if (event.key === "ArrowDown") this.move(this.active >= last ? 0 : this.active + 1);
    else if (event.key === "ArrowUp") this.move(this.active <= 0 ? last : this.active - 1);
    else if (event.key === "Enter" || event.key === "Tab") this.choose(this.active);
    else if (event.key === "Escape") this.close();
    else return;
    event.preventDefault();
    event.stopPropagation();
  }

  choose(index) {
    const person = this.items[index];
    const typed = typedName(this.area);
    if (!person || !typed) return this.close();
    const { value, selectionStart } = this.area;
    const inserted = `@${person.username} `;
    this.area.value = value.slice(0, typed.start) + inserted + value.slice(selectionStart);
    const caret = typed.start + inserted.length;
    this.area.setSelectionRange(caret, caret);
    this.close();
    this.area.focus();
  }

  close() {
    clearTimeout(this.timer);
    this.list.hidden = true;
    this.items = [];
    this.move(-1);
  }
}

// Composers appear later too (a reply form, a discussion opened in place): enhance on focus.
export function enhanceMentions(root) {
  if (!document.body.hasAttribute("data-signed-in")) return;
  root.addEventListener("focusin", (event) => {
    const area = event.target;
    if (area.matches?.("form.composer textarea[name=body]") && !area.dataset.mentions) {
      area.dataset.mentions = "on";
      new Completion(area);
    }
  });
}
