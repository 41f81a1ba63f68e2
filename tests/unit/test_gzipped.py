"""app/web/gzipped.py: a page joined from a middle deflated once is the page, gzipped."""

from __future__ import annotations

import gzip
import zlib

import pytest

from app.web import gzipped

HEAD = '<!doctype html><html lang="en"><head><title>Caf\u00e9 — notes</title></head><body>'
MIDDLE = "".join(
    f'<section id="p{n}"><p>Paragraph {n} says something \u201cquoted\u201d.</p></section>'
    for n in range(400)
)
TAIL = "<template id=composer>…</template></body></html>"


@pytest.mark.parametrize("level", [1, 4, 9])
def test_joined_pieces_decompress_to_the_whole_page(level: int) -> None:
    joined = gzipped.join(HEAD, gzipped.deflate(MIDDLE, level), TAIL, level)
    assert gzip.decompress(joined) == (HEAD + MIDDLE + TAIL).encode()


def test_it_is_one_gzip_member_with_a_true_trailer() -> None:
    """One member, so a client that reads only the first member still gets the whole page."""
    joined = gzipped.join(HEAD, gzipped.deflate(MIDDLE, 4), TAIL, 4)
    reader = zlib.decompressobj(16 + zlib.MAX_WBITS)
    assert reader.decompress(joined) == (HEAD + MIDDLE + TAIL).encode()
    assert reader.eof
    assert reader.unused_data == b""


@pytest.mark.parametrize(
    ("head", "middle", "tail"), [("", "", ""), ("", MIDDLE, ""), (HEAD, "", TAIL), ("a", "b", "")]
)
def test_empty_pieces_are_fine(head: str, middle: str, tail: str) -> None:
    joined = gzipped.join(head, gzipped.deflate(middle, 4), tail, 4)
    assert gzip.decompress(joined) == (head + middle + tail).encode()


def test_it_is_about_as_small_as_compressing_the_page_whole() -> None:
    joined = gzipped.join(HEAD, gzipped.deflate(MIDDLE, 4), TAIL, 4)
    whole = gzip.compress((HEAD + MIDDLE + TAIL).encode(), 4)
    assert len(joined) <= len(whole) * 1.05
