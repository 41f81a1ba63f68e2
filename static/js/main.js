// Enhances pages that already work without JavaScript: discussions open in place, a selection
// becomes a quote, and notes are posted without a reload.
import { enhanceDiscussions } from "./discussion.js";
import { highlightAll } from "./highlight.js";
import { enhanceForms } from "./post.js";
import { enhanceSelection } from "./selection.js";

document.documentElement.classList.add("js");
highlightAll(document);
enhanceDiscussions(document);
enhanceForms(document);
enhanceSelection(document);
