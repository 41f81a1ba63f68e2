"""Names other people read (display names, group names): no invisible or direction-changing
characters, and no look-alike of a name already in use.

Every name is tidied by `normalise_name` (through `check_display_name` / `check_group_name`,
so no service tidies names its own way): runs of spaces become one and the ends are trimmed, so
what is stored is what every page and the API show back. A group name's tabs and line breaks
are white space HTML collapses anyway and become a space too; in a person's display name they
are refused with the other controls (it goes into mail headers, issue 14). Text is
NFKC-normalised (full-width and styled letters become plain ones), except its spaces: an
ideographic, no-break or Ogham space is kept as written (issue 12), since it draws as a space
and NFKC would change what the writer typed. Characters
that draw nothing or reorder what follows are refused with a message naming them: Unicode's
format characters (bidi embeddings and overrides U+202A–U+202E, isolates U+2066–U+2069,
zero-width spaces and joiners, the BOM, …), controls, private-use and unassigned code points,
and the few letters that render blank (Hangul fillers, the braille blank). A zero-width
joiner between two pictographs (an emoji sequence) is kept.

A look-alike is a name whose confusables skeleton (Unicode TR39 data, shipped by the
`confusable_homoglyphs` package, maintained with the Unicode releases) equals that of a name in
use while the two differ and at least one mixes scripts or they are written in different
scripts: "Аda" with a Cyrillic А next to "Ada". Two people may still share a plain name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from confusable_homoglyphs import categories, confusables
from sqlalchemy import func, select

from app.extensions import db
from app.models import Group, User
from app.services.errors import ValidationFailed

_REFUSED_CATEGORIES = {"Cf", "Cc", "Cs", "Co", "Cn"}
# Letters by category that draw nothing: Hangul fillers, the half-width filler, braille blank.
_BLANK_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}
# Marks that only pick a glyph variant (emoji style): kept, but ignored when comparing.
_VARIATION_SELECTORS = {chr(c) for c in range(0xFE00, 0xFE10)}
_NEUTRAL_SCRIPTS = {"COMMON", "INHERITED"}


_ZWJ = "\u200d"


def _invisible(text: str, at: int) -> bool:
    char = text[at]
    if char == _ZWJ and 0 < at < len(text) - 1:
        # Joining two pictographs draws one emoji (👩‍👩‍👧): harmless, and people use them.
        return not all(unicodedata.category(c) == "So" for c in (text[at - 1], text[at + 1]))
    return unicodedata.category(char) in _REFUSED_CATEGORIES or char in _BLANK_LETTERS


def _describe(char: str) -> str:
    name = unicodedata.name(char, "an unnamed character")
    return f"U+{ord(char):04X} {name}"


_SPACES = re.compile(r"(\s+)")
# Runs of these become one space. Any other space (U+00A0, U+1680 Ogham, U+3000 ideographic,
# ...) is part of the name as written; HTML collapses these anyway (app/text.py says the same).
_RUN_OF_SPACES = re.compile(r" +")
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")


def _nfkc_but_spaces(text: str) -> str:
    # re.split with a group keeps the separators at the odd positions, untouched.
    parts = _SPACES.split(text)
    return "".join(p if n % 2 else unicodedata.normalize("NFKC", p) for n, p in enumerate(parts))


def normalise_name(text: str, field: str, *, fold_line_breaks: bool = False) -> str:
    """The name as meant: runs of spaces one space (with `fold_line_breaks`, tabs and line
    breaks too), NFKC (other spaces kept as written), trimmed; ValidationFailed on `field` when
    an invisible character (a control such as an unfolded tab or line break) is in it."""
    runs = _HTML_SPACE if fold_line_breaks else _RUN_OF_SPACES
    clean = _nfkc_but_spaces(runs.sub(" ", text)).strip()
    bad = next((c for n, c in enumerate(clean) if _invisible(clean, n)), None)
    if bad is not None:
        raise ValidationFailed(
            "The name contains an invisible character.",
            {
                field: "Names cannot contain invisible or text-direction characters "
                f"(this one has {_describe(bad)}). Type the name again without it."
            },
        )
    return clean


@lru_cache(maxsize=4096)
def _prototype(char: str) -> str:
    """One representative of the character's confusables class (the lowest code point)."""
    found = confusables.confusables_data.get(char)
    if not found:
        return char
    glyphs = [char, *(g["c"] for g in found if len(g["c"]) == 1)]
    return min(glyphs)


def skeleton(text: str) -> str:
    """What `text` looks like: equal skeletons are confusable (case ignored)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(_prototype(c) for c in folded if c not in _VARIATION_SELECTORS)


def _scripts(text: str) -> frozenset[str]:
    return frozenset(categories.unique_aliases(text)) - _NEUTRAL_SCRIPTS


def is_lookalike(name: str, other: str) -> bool:
    if name == other or skeleton(name) != skeleton(other):
        return False
    mine, theirs = _scripts(name), _scripts(other)
    return len(mine) > 1 or len(theirs) > 1 or mine != theirs


def refuse_lookalike(name: str, taken: Iterable[str], field: str, what: str) -> None:
    """ValidationFailed when `name` is a look-alike of one of the `taken` names."""
    for other in taken:
        if is_lookalike(name, other):
            raise ValidationFailed(
                f"That {what} looks like one already in use.",
                {
                    field: f"“{name}” looks the same as the {what} “{other}” but is spelled "
                    "with letters from another alphabet. Choose a name that reads differently."
                },
            )


def _same_length(column, name: str):  # type: ignore[no-untyped-def]
    # Skeletons map character for character: only names as long can look the same.
    return func.length(column) == len(name)


def check_display_name(name: str, user_id: int | None = None) -> str:
    """A display name as it will be stored: normalised, and no look-alike of another's."""
    clean = normalise_name(name, "display_name")
    stmt = select(User.display_name).where(_same_length(User.display_name, clean))
    if user_id is not None:
        stmt = stmt.where(User.id != user_id)
    refuse_lookalike(clean, db.session.scalars(stmt), "display_name", "display name")
    return clean


def check_group_name(name: str, group_id: int | None = None) -> str:
    """A group name as it will be stored: normalised, and no look-alike of another group's."""
    clean = normalise_name(name, "name", fold_line_breaks=True)
    stmt = select(Group.name).where(_same_length(Group.name, clean))
    if group_id is not None:
        stmt = stmt.where(Group.id != group_id)
    refuse_lookalike(clean, db.session.scalars(stmt), "name", "group name")
    return clean
