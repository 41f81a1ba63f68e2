// "Copy" buttons put a join code or an invite link on the clipboard. They are shown only with
// JavaScript; without it the code and the (read-only, selectable) link are on the page.
const SHOWN_FOR = 2000;

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
  } catch {
    // No clipboard (an insecure origin, or refused): select the text for the reader instead.
    selectBeside(button);
    button.textContent = "Selected: copy it";
  }
  setTimeout(() => {
    button.textContent = label;
  }, SHOWN_FOR);
}

export function enhanceCopy(root) {
  root.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-copy]");
    if (button) copy(button);
  });
}
