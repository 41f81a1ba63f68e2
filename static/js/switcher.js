// The reading pages' discussion switcher follows the reader's choice at once; without
// JavaScript its "Show" button submits the same choice as a plain GET form.
export function enhanceSwitcher(root) {
  for (const form of root.querySelectorAll("form[data-switcher]")) {
    const select = form.querySelector("select");
    select.addEventListener("change", () => {
      const url = select.selectedOptions[0]?.dataset.url;
      if (url) window.location.assign(url);
    });
  }
}
