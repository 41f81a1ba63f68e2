"""The reading page's gzip, from a middle compressed once: the fenced fast path.

An article page is a few kilobytes drawn for this request (the header, the reader's own part,
the composer) around a hundred-odd kilobytes every reader of the discussion shares (the
blocks, app/web/caching.py). Flask-Compress would gzip the whole page on every request:
about 1.3 ms of a worker's CPU for a 128 KB page, a quarter of a signed-in page's cost.

A deflate stream may be cut into pieces compressed apart: each piece but the last ends with a
sync flush (an empty stored block, so it ends on a byte boundary and is not final), and no
piece refers back into another. So the shared middle is deflated once, when its blocks are
drawn and kept, and each request deflates only its own head and tail and joins the three
under one gzip header and trailer (RFC 1952). The CRC-32 runs over the whole text, which
costs a few hundredths of a millisecond. A middle compressed on its own loses the little
the head's context would have given it: the page comes out about 1% larger.

`join` is the one function that does it; tests/unit/test_gzipped.py checks that what it
gives decompresses to exactly the page the plain path would have compressed.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from flask import Request, Response, make_response

# ID1 ID2, CM=deflate, no flags, MTIME 0 (not known), no extra flags, OS 255 (unknown).
_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"


@dataclass(frozen=True)
class Deflated:
    """A piece of a page as UTF-8 and as raw deflate that ends on a byte boundary, not final."""

    text: bytes
    deflated: bytes


def deflate(text: str, level: int) -> Deflated:
    raw = text.encode()
    compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    return Deflated(raw, compressor.compress(raw) + compressor.flush(zlib.Z_SYNC_FLUSH))


def join(head: str, middle: Deflated, tail: str, level: int) -> bytes:
    """The gzip of head + middle + tail, compressing only the head and the tail."""
    first, last = deflate(head, level), tail.encode()
    finish = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    crc = zlib.crc32(last, zlib.crc32(middle.text, zlib.crc32(first.text)))
    size = len(first.text) + len(middle.text) + len(last)
    trailer = struct.pack("<II", crc, size & 0xFFFFFFFF)
    return b"".join(
        (_HEADER, first.deflated, middle.deflated, finish.compress(last), finish.flush(), trailer)
    )


def accepts_gzip(request: Request) -> bool:
    return request.accept_encodings.quality("gzip") > 0


def page_response(request: Request, head: str, middle: Deflated, tail: str, level: int) -> Response:
    """The page, gzipped by `join` if the client takes gzip, else as it is.

    gzip is given even to a browser that would take zstd or br from Flask-Compress: this costs
    less CPU than compressing the page anew in any of them, for a page of about the same size.
    """
    if not accepts_gzip(request):
        return make_response(head + middle.text.decode() + tail)
    response = make_response(join(head, middle, tail, level))
    response.headers["Content-Encoding"] = "gzip"  # Flask-Compress leaves it as it is
    response.vary.add("Accept-Encoding")
    return response
