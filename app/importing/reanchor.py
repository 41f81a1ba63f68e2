"""Re-anchoring across revisions: which new block continues each old one, and where quotes went.

Pure functions over texts (no database), so the edit corpus and the benchmark exercise exactly
what a revision runs. Quotes are found again the way Hypothesis's client does it: exactly in
their block, then exactly elsewhere, then fuzzily with diff-match-patch's bitap matcher, the
quote's prefix and suffix choosing between repeats. What cannot be found with confidence is
reported as gone (the caller orphans it): a note pinned to words it was never about is worse
than a note set aside.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from diff_match_patch import diff_match_patch
from rapidfuzz import fuzz

from app.importing.draft import HEADING
from app.importing.matching import Key, match_blocks

# A split block's first part, or a block merged into a neighbour, is found by partial likeness
# (the shorter text lies almost whole inside the longer); below this length that proves nothing.
PART_MIN_CHARS = 30
PART_LIKENESS = 90.0
# A quote found fuzzily must read almost as it did: light edits, not a different sentence.
FUZZY_LIKENESS = 80.0
# A quote found exactly in another block is trusted when its context still agrees this much, or
# when it is long and occurs once in the whole text.
ELSEWHERE_CONTEXT = 0.6
DISTINCTIVE_CHARS = 25
CONTEXT_CHARS = 32  # how much text either side of a quote the page's client stores


@dataclass(frozen=True)
class BlockPlan:
    """`same`: {new index: old index}, the new block keeps the old one's anchor (one to one).

    `follows`: {old index: new index} for every old block whose text lives on, where its
    whole-block notes go: the matched block, the first part of a split, or the merged block.
    """

    same: dict[int, int]
    follows: dict[int, int]


@dataclass(frozen=True)
class Found:
    """Where a quote lies in the new text: block index and code-point offsets in its text."""

    block: int
    start: int
    end: int
    exact: bool


def plan_blocks(old: Sequence[Key], new: Sequence[Key]) -> BlockPlan:
    """Pair old and new blocks: unchanged, moved, edited, then split and merged ones."""
    same = _prefer_first_parts(old, new, match_blocks(old, new))
    follows = {i: j for j, i in same.items()}
    for i, (kind, text) in enumerate(old):
        if i in follows or kind == HEADING or len(text) < PART_MIN_CHARS:
            continue
        for j in _window(i, len(new), follows):
            other_kind, other = new[j]
            if other_kind == kind and _is_part(text, other):
                follows[i] = j
                if j not in same:
                    same[j] = i  # a split's first part (or an unmatched merge) keeps the anchor
                break
    return BlockPlan(same, follows)


def _prefer_first_parts(
    old: Sequence[Key], new: Sequence[Key], same: dict[int, int]
) -> dict[int, int]:
    """A split block continues as its first part, even when a later part is the more alike."""
    for j in sorted(same):
        i = same[j]
        k = j - 1
        while k >= 0 and k not in same and new[k][0] == old[i][0] and _opens(old[i][1], new[k][1]):
            k -= 1
        if k + 1 < j:
            same[k + 1] = same.pop(j)
    return same


def _opens(whole: str, part: str) -> bool:
    """Whether `part` is (nearly) how `whole` begins."""
    head = whole[: len(part)]
    return (
        len(part) >= PART_MIN_CHARS
        and len(part) < len(whole)
        and fuzz.ratio(head, part) >= PART_LIKENESS
    )


def _window(i: int, count: int, follows: dict[int, int]) -> range:
    """The new blocks between where the old block's surviving neighbours went."""
    before = [follows[k] for k in follows if k < i]
    after = [follows[k] for k in follows if k > i]
    low = max(before) if before else 0
    high = min(after) if after else count - 1
    if low > high:  # neighbours reordered: look everywhere
        return range(count)
    return range(low, high + 1)


def _is_part(a: str, b: str) -> bool:
    shorter = min(len(a), len(b))
    return shorter >= PART_MIN_CHARS and fuzz.partial_ratio(a, b) >= PART_LIKENESS


def _likeness(a: str, b: str) -> float:
    if not a and not b:
        return 1.0
    return fuzz.ratio(a, b) / 100


def _context_score(text: str, start: int, end: int, prefix: str, suffix: str) -> float:
    """How well the text around [start, end) agrees with the stored prefix and suffix (0–1)."""
    before = text[max(0, start - len(prefix)) : start]
    after = text[end : end + len(suffix)]
    weight = len(prefix) + len(suffix)
    if weight == 0:
        return 1.0
    return (
        _likeness(prefix[-len(before) :] if before else "", before) * len(prefix)
        + _likeness(suffix[: len(after)], after) * len(suffix)
    ) / weight


def _occurrences(text: str, exact: str) -> list[int]:
    found, start = [], text.find(exact)
    while start >= 0:
        found.append(start)
        start = text.find(exact, start + 1)
    return found


def _best(
    text: str, starts: list[int], length: int, prefix: str, suffix: str, hint: int | None
) -> tuple[float, int]:
    """The occurrence whose context agrees best; ties go to the one nearest the old place."""
    return max(
        (
            _context_score(text, s, s + length, prefix, suffix),
            -abs(s - hint) if hint is not None else 0,
            s,
        )
        for s in starts
    )[0::2]


def find_quote(
    exact: str,
    prefix: str,
    suffix: str,
    texts: Sequence[str],
    home: int | None,
    hint: int | None = None,
) -> Found | None:
    """Where `exact` went in `texts` (the new blocks), or None when it is gone.

    `home` is the block its old block continues as (None if that block was removed); `hint`
    the quote's old offset there.
    """
    if not exact:
        return None
    if home is not None and (starts := _occurrences(texts[home], exact)):
        _score, start = _best(texts[home], starts, len(exact), prefix, suffix, hint)
        return Found(home, start, start + len(exact), True)
    if found := _exact_elsewhere(exact, prefix, suffix, texts, home):
        return found
    if home is not None and (found := _fuzzy(exact, prefix, suffix, texts[home], home, hint)):
        return found
    return _fuzzy_elsewhere(exact, prefix, suffix, texts, home)


def _exact_elsewhere(
    exact: str, prefix: str, suffix: str, texts: Sequence[str], home: int | None
) -> Found | None:
    candidates = [
        (_context_score(text, s, s + len(exact), prefix, suffix), j, s)
        for j, text in enumerate(texts)
        if j != home
        for s in _occurrences(text, exact)
    ]
    if not candidates:
        return None
    score, j, start = max(candidates)
    distinctive = len(exact) >= DISTINCTIVE_CHARS and len(candidates) == 1
    if score >= ELSEWHERE_CONTEXT or distinctive:
        return Found(j, start, start + len(exact), True)
    return None


def _matcher() -> diff_match_patch:
    dmp = diff_match_patch()
    dmp.Match_MaxBits = 0  # Python integers: quotes longer than 32 characters are fine
    dmp.Match_Threshold = 0.3
    dmp.Match_Distance = 5000  # where in the block matters little; the words do
    return dmp


_DMP = _matcher()


def _fuzzy(
    exact: str, prefix: str, suffix: str, text: str, block: int, hint: int | None
) -> Found | None:
    """diff-match-patch's bitap match of the quote, its ends mapped through a diff."""
    if len(exact) > len(text) * 2:
        return None
    loc = min(max(hint or 0, 0), len(text))
    found = _DMP.match_main(text, exact, loc)
    if found < 0:
        return None
    # Bitap knows roughly where; the most alike span around it says exactly which words the
    # edited quote now covers.
    m = len(exact)
    origin = max(0, found - m)
    words = (
        exact[0].isalnum() and not (prefix and prefix[-1].isalnum()),
        exact[-1].isalnum() and not (suffix and suffix[0].isalnum()),
    )
    start, end = _align(exact, text[origin : found + 2 * m + 8], words)
    start, end = origin + start, origin + end
    if end <= start or fuzz.ratio(exact, text[start:end]) < FUZZY_LIKENESS:
        return None
    # A fuzzy hit in a sentence whose surroundings changed too is another sentence.
    if _context_score(text, start, end, prefix, suffix) < ELSEWHERE_CONTEXT / 2:
        return None
    return Found(block, start, end, False)


def _align(pattern: str, window: str, words: tuple[bool, bool]) -> tuple[int, int]:
    """The span of `window` most like `pattern` (rapidfuzz's Indel ratio).

    Spans start and end on word boundaries when the quote did (`words`), and are between
    half and twice its length: a quote whose words were edited is still about that long.
    """
    m = len(pattern)
    starts = [i for i in range(len(window)) if not words[0] or _word_start(window, i)]
    ends = {i for i in range(1, len(window) + 1) if not words[1] or _word_end(window, i)}
    best = (-1.0, 0, 0)
    for start in starts:
        for end in range(start + max(1, m // 2), min(len(window), start + 2 * m) + 1):
            if end in ends:
                score = fuzz.ratio(pattern, window[start:end], score_cutoff=best[0])
                if score > best[0]:
                    best = (score, start, end)
    return best[1], best[2]


def _word_start(text: str, i: int) -> bool:
    return not text[i].isspace() and (i == 0 or not (text[i - 1].isalnum() and text[i].isalnum()))


def _word_end(text: str, i: int) -> bool:
    return not text[i - 1].isspace() and (
        i == len(text) or not (text[i - 1].isalnum() and text[i].isalnum())
    )


def _fuzzy_elsewhere(
    exact: str, prefix: str, suffix: str, texts: Sequence[str], home: int | None
) -> Found | None:
    best: tuple[float, Found] | None = None
    for j, text in enumerate(texts):
        if j == home or fuzz.partial_ratio(exact, text) < FUZZY_LIKENESS:
            continue  # the C++ prefilter: bitap runs only where the words nearly occur
        found = _fuzzy(exact, prefix, suffix, text, j, None)
        if found is None:
            continue
        score = _context_score(text, found.start, found.end, prefix, suffix)
        if score >= ELSEWHERE_CONTEXT and (best is None or score > best[0]):
            best = (score, found)
    return best[1] if best else None


def locate(text: str, exact: str, prefix: str, suffix: str) -> tuple[int, int] | None:
    """Where a quote a reader just selected lies in `text`: the occurrence its context names."""
    starts = _occurrences(text, exact) if exact else []
    if not starts:
        return None
    _score, start = _best(text, starts, len(exact), prefix, suffix, None)
    return start, start + len(exact)
