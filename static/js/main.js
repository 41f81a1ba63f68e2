// Enhances pages that already work without JavaScript: discussions open in place, a selection
// becomes a quote, notes are posted and moderated without a reload.
import { prepareAnnouncer } from "./announce.js";
import { enhanceCopy } from "./copy.js";
import { enhanceDiscussions } from "./discussion.js";
import { highlightAll } from "./highlight.js";
import { enhanceInPlace } from "./inplace.js";
import { enhanceKeyboard } from "./keyboard.js";
import { watchDiscussion } from "./live.js";
import { enhanceMentions } from "./mention.js";
import { enhanceReattach } from "./reattach.js";
import { enhanceForms } from "./post.js";
import { enhancePersonal } from "./personal.js";
import { enhanceSelection } from "./selection.js";
import { enhanceSwitcher } from "./switcher.js";

document.documentElement.classList.add("js");
prepareAnnouncer(); // a live region must be in the page before anything is said in it
highlightAll(document);
enhanceDiscussions(document);
enhanceForms(document);
enhanceSelection(document);
enhanceSwitcher(document);
enhanceCopy(document);
enhanceInPlace(document);
enhanceKeyboard(document);
watchDiscussion(document);
enhanceMentions(document);
enhanceReattach(document);
enhancePersonal(document);
