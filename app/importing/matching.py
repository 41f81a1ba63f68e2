"""Pairs the blocks of a re-imported article with the stored ones, so anchors survive edits."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Sequence
from difflib import SequenceMatcher

from rapidfuzz import fuzz

Key = tuple[str, str]  # (kind, text)
# Below this likeness (normalised Indel similarity) an old and a new block are a deletion and
# an insertion.
SIMILAR = 0.5
# A block that moved and was edited too is paired only when it is this alike.
MOVED_AND_EDITED = 0.8


def match_blocks(old: Sequence[Key], new: Sequence[Key]) -> dict[int, int]:
    """{new index: old index} for every new block that continues an old one.

    First the longest common run of unchanged blocks; then blocks that moved (same text
    elsewhere); then, within each stretch that changed, edited blocks paired in order with the
    most alike old block of the same kind. A rewrite too far from the old text is a new block:
    a discussion must not end up under words it was never about.
    """
    matches: dict[int, int] = {}
    stretches: list[tuple[range, range]] = []
    opcodes = SequenceMatcher(None, list(old), list(new), autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            matches.update(zip(range(j1, j2), range(i1, i2), strict=True))
        else:
            stretches.append((range(i1, i2), range(j1, j2)))
    _match_moved(old, new, matches)
    for old_range, new_range in stretches:
        _match_edited(old, new, old_range, new_range, matches)
    _match_moved_and_edited(old, new, matches)
    return matches


def _match_moved(old: Sequence[Key], new: Sequence[Key], matches: dict[int, int]) -> None:
    used = set(matches.values())
    waiting: dict[Key, deque[int]] = defaultdict(deque)
    for i, key in enumerate(old):
        if i not in used:
            waiting[key].append(i)
    for j, key in enumerate(new):
        if j not in matches and waiting[key]:
            matches[j] = waiting[key].popleft()


def _likeness(a: str, b: str) -> float:
    # rapidfuzz's ratio is difflib's ratio computed exactly (Indel distance), in C++.
    return fuzz.ratio(a, b) / 100


def _match_moved_and_edited(
    old: Sequence[Key], new: Sequence[Key], matches: dict[int, int]
) -> None:
    used = set(matches.values())
    olds = [i for i in range(len(old)) if i not in used]
    for j, (kind, text) in enumerate(new):
        if j in matches or not olds:
            continue
        scored = [(_likeness(old[i][1], text), -i) for i in olds if old[i][0] == kind]
        if scored and (best := max(scored))[0] >= MOVED_AND_EDITED:
            matches[j] = -best[1]
            olds.remove(-best[1])


def _match_edited(
    old: Sequence[Key],
    new: Sequence[Key],
    old_range: range,
    new_range: range,
    matches: dict[int, int],
) -> None:
    used = set(matches.values())
    olds = [i for i in old_range if i not in used]
    news = [j for j in new_range if j not in matches]
    start = 0
    for i in olds:
        kind, text = old[i]
        scored = [
            (_likeness(text, new[j][1]), -pos)
            for pos, j in enumerate(news[start:], start)
            if new[j][0] == kind
        ]
        if scored and (best := max(scored))[0] >= SIMILAR:
            pos = -best[1]
            matches[news[pos]] = i
            start = pos + 1
