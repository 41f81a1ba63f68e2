// "Copy" buttons put a join code or an invite link on the clipboard. They are shown only with
// JavaScript; without it the code and the (read-only, selectable) link are on the page.
import { announce } from "./announce.js";

const SHOWN_FOR = 2000;
const shown = new WeakMap();

// The invite link is in a read-only input; the join code is a <code> element.
function selectBeside(button) {
  const row = button.parentElement;
  const input = row.querySelector("input");
  if (input) return input.select();
  const code = row.querySelector("code");
  if (code) document.getSelection()?.selectAllChildren(code);
}

async function copy(button) {
  const label = button.dataset.label || button.textContent;
  button.dataset.label = label;
  try {
    await navigator.clipboard.writeText(button.dataset.copy);
    button.textContent = "Copied";
    announce("Copied to the clipboard.");
  } catch {
    // No clipboard (an insecure origin, or refused): select the text for the reader instead.
    selectBeside(button);
    button.textContent = "Selected: copy it";
    announce("The clipboard is not available: the text is selected for you to copy.");
  }
  // A second press restarts the wait, so an earlier press cannot cut its message short.
  clearTimeout(shown.get(button));
  shown.set(
    button,
    setTimeout(() => {
      button.textContent = label;
    }, SHOWN_FOR),
  );
}

export function enhanceCopy(root) {
  root.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-copy]");
    if (button) copy(button);
  });
}
