// Block text as the server stores it (whitespace collapsed, trimmed), with a map back to the
// DOM's own text offsets, so quotes match what the server checks.

/** @returns {{text: string, toRaw: number[], toNorm: number[]}} */
export function normalise(raw) {
  let text = "";
  const toRaw = [];
  const toNorm = new Array(raw.length + 1);
  let spaceAt = -1;
  for (let i = 0; i < raw.length; i += 1) {
    toNorm[i] = text.length;
    // HTML collapses these; U+00A0 is kept, as the server keeps it.
    if (/[ \t\n\r\f]/.test(raw[i])) {
      if (spaceAt < 0 && text.length > 0) spaceAt = i;
      continue;
    }
    if (spaceAt >= 0) {
      text += " ";
      toRaw.push(spaceAt);
      spaceAt = -1;
    }
    text += raw[i];
    toRaw.push(i);
  }
  toNorm[raw.length] = text.length;
  toRaw.push(raw.length);
  return { text, toRaw, toNorm };
}

/** The text nodes under `el`, in document order. */
export function textNodes(el) {
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  const nodes = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) nodes.push(node);
  return nodes;
}
