// One polite live region for the page: what happened without moving the reader's eyes
// (a note posted, new notes arrived, the words being quoted).
let region = null;

export function announce(message) {
  if (!region) {
    region = document.createElement("div");
    region.className = "visually-hidden";
    region.setAttribute("aria-live", "polite");
    region.setAttribute("role", "status");
    region.dataset.announcer = "";
    document.body.append(region);
  }
  // Emptied first, so the same words said twice are announced twice.
  region.textContent = "";
  window.setTimeout(() => { region.textContent = message; }, 50);
}

export function prepareAnnouncer() {
  if (!region) announce("");
}
