"""The import corpus, run: every document imports into exactly the blocks expected of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.importing import parse_file
from tests.corpus.imports_expected import EXPECTED

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "imports"


def test_the_corpus_has_at_least_twelve_varied_documents() -> None:
    files = sorted(path.name for path in CORPUS.iterdir())
    assert files == sorted(EXPECTED)
    assert len(files) >= 12
    assert {path.suffix for path in CORPUS.iterdir()} == {".html", ".md", ".txt"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_document_imports_into_the_expected_blocks(name: str) -> None:
    expected = EXPECTED[name]
    draft = parse_file(CORPUS / name)
    assert draft.title == expected.title
    found = (draft.author, draft.published, draft.source_url, draft.photo_credit)
    wanted = (expected.author, expected.published, expected.source_url, expected.photo_credit)
    assert found == wanted
    assert [
        (b.kind, b.text[: len(start)])
        for b, (_k, start) in zip(draft.blocks, expected.blocks, strict=False)
    ] == list(expected.blocks)
    assert len(draft.blocks) == len(expected.blocks)
    assert [
        a.text[: len(start)] for a, start in zip(draft.asides, expected.asides, strict=False)
    ] == list(expected.asides)
    assert len(draft.asides) == len(expected.asides)
    dropped = " ".join(draft.dropped)
    assert [d for d in expected.dropped if d not in dropped] == []
    texts = " ".join(b.text for b in draft.blocks)
    assert [a for a in expected.absent if a in texts] == []
