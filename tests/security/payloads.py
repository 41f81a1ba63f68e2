"""The XSS payloads of xss_payloads.txt, numbered, marked, and rewritten to set window.__xss.

Where they come from is listed at the top of the data file (OWASP, PortSwigger, html5sec.org,
Markdown XSS lists, PayloadsAllTheThings).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PAYLOAD_FILE = Path(__file__).with_name("xss_payloads.txt")
NEWLINE = "⏎"  # stands for a newline inside a one-line payload
SENTINEL = "window.__xss=1"
# alert(1), alert('XSS'), alert(String.fromCharCode(88,83,83)), alert`1`, confirm(..), prompt(..)
_CALL = re.compile(r"\b(?:alert|confirm|prompt)(?:\((?:[^()]|\([^()]*\))*\)|`[^`]*`)")
# "x" + the field's letter + the payload's number: "xb007" is payload 7 in an annotation body.
MARKER = re.compile(r"\bx[a-z]\d{3}\b")


@dataclass(frozen=True)
class Payload:
    number: int
    original: str  # as written in the file
    text: str  # with its calls rewritten to set the sentinel

    def marker(self, field: str) -> str:
        """A word that survives any sanitising, to find where the payload landed in a page."""
        return f"x{field}{self.number:03d}"

    def block(self, field: str) -> str:
        """For Markdown fields: the marker as its own paragraph, then the payload as written."""
        return f"{self.marker(field)}\n\n{self.text}"

    def line(self, field: str, limit: int | None = None) -> str:
        """For one-line fields (names, reasons): marker, space, payload, cut to `limit`."""
        flat = f"{self.marker(field)} {' '.join(self.text.split())}"
        return flat[:limit] if limit else flat


@cache
def load_payloads() -> tuple[Payload, ...]:
    payloads = []
    for raw in PAYLOAD_FILE.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        original = raw.replace(NEWLINE, "\n")
        text = _CALL.sub(SENTINEL, original)
        payloads.append(Payload(len(payloads) + 1, original, text))
    texts = [p.original for p in payloads]
    assert len(set(texts)) == len(texts), "xss_payloads.txt holds a payload twice"
    return tuple(payloads)
