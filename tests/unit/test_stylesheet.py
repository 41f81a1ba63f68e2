"""The stylesheet's braces balance: a merge that drops one `}` silently swallows every rule after it
(the 360 px layout, print and insight rules were lost that way once)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

STYLESHEETS = sorted((Path(__file__).parents[2] / "static" / "css").glob("*.css"))


@pytest.mark.parametrize("sheet", STYLESHEETS, ids=lambda p: p.name)
def test_every_block_the_stylesheet_opens_it_closes(sheet: Path) -> None:
    text = re.sub(r"/\*.*?\*/", "", sheet.read_text(encoding="utf-8"), flags=re.S)
    text = re.sub(r'"[^"\n]*"|\'[^\'\n]*\'', '""', text)  # braces inside strings do not count
    depth, deepest = 0, 0
    for number, line in enumerate(text.splitlines(), 1):
        depth += line.count("{") - line.count("}")
        assert depth >= 0, f"{sheet.name}:{number} closes a block that was never opened"
        deepest = max(deepest, depth)
    assert depth == 0, f"{sheet.name} leaves {depth} block(s) open"
    assert deepest <= 2, f"{sheet.name} nests {deepest} deep: a rule inside a rule lost its `}}`"
