"""Finds markup in a served page that could run script: the html.parser half of the XSS checks.

A page may hold the tags its own templates use and the sanitiser's allowlist, nothing else;
never an event handler, an inline style, or a javascript:/data:/vbscript: URL; and no script
but the app's own module files in <head>.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser

from app import ROOT
from app.text import ALLOWED_TAGS
from tests.security.payloads import MARKER

# Never in a page unless a template writes that very start tag: each can run script or load a
# document.
BANNED_TAGS = frozenset(
    {
        "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math", "style",
        "base", "img", "image", "video", "audio", "source", "bgsound", "marquee", "isindex",
        "keygen", "xss", "animate", "set", "use", "foreignobject", "maction", "comment",
    }
)  # fmt: skip
HEAD_ONLY = frozenset({"link", "meta", "title"})
BANNED_ATTRIBUTES = frozenset({"style", "srcdoc", "formaction", "background", "dynsrc", "lowsrc"})
URL_ATTRIBUTES = frozenset(
    {
        "href", "src", "action", "formaction", "data", "poster", "background", "xlink:href",
        "srcset", "ping", "codebase", "cite", "longdesc", "manifest", "icon", "values", "to",
        "from", "by", "content",
    }
)  # fmt: skip
_SCRIPT_URL = re.compile(r"(?:^|url=)(?:javascript|data|vbscript|livescript):")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f]+")


def _templates() -> list[str]:
    return [t.read_text(encoding="utf-8") for t in (ROOT / "templates").rglob("*.html")]


@cache
def page_tags() -> frozenset[str]:
    """Every tag a template writes, plus what the sanitiser lets through from user text."""
    written = {t.lower() for text in _templates() for t in re.findall(r"<([a-zA-Z][\w-]*)", text)}
    return frozenset(written | ALLOWED_TAGS | {"html", "head", "body"})


@cache
def template_start_tags() -> frozenset[str]:
    """Start tags written out literally in a template (no Jinja inside), e.g. an icon's <svg>."""
    return frozenset(
        tag for text in _templates() for tag in re.findall(r"<[a-zA-Z][^<>{}]*>", text)
    )


@dataclass(frozen=True)
class Finding:
    what: str
    near: str  # the last payload marker before it in the page ("" if none yet)

    def __str__(self) -> str:
        return f"{self.what} (after {self.near or 'no payload'})"


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.findings: list[Finding] = []
        self.markers: set[str] = set()
        self.links: list[str] = []
        self.near = ""
        self.in_head = False
        self.in_body = False
        self.in_script: bool | str = False  # True, or "island" for the data island

    def parse_html_declaration(self, i: int) -> int:
        try:
            return super().parse_html_declaration(i)
        except AssertionError:  # "<![" junk: Python < 3.13 gives up where browsers read a comment
            return self.parse_bogus_comment(i)

    def _flag(self, what: str) -> None:
        self.findings.append(Finding(what, self.near))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs)
        if tag == "script" and self.in_script != "island":
            self.in_script = True

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self.in_head = False
        elif tag == "script":
            self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script == "island":
            if not _is_personal_layer(data):
                self._flag(f"data island that is not ids only {data.strip()[:40]!r}")
        elif self.in_script and data.strip():
            self._flag(f"inline script {data.strip()[:40]!r}")
        found = MARKER.findall(data)
        if found:
            self.near = found[-1]
            self.markers.update(found)

    def _element(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "head":
            self.in_head = True
        elif tag == "body":
            self.in_head, self.in_body = False, True
        if tag == "script":
            self._script(dict(attrs))
        elif tag not in page_tags() or (
            tag in BANNED_TAGS and self.get_starttag_text() not in template_start_tags()
        ):
            self._flag(f"<{tag}> element")
        elif tag in HEAD_ONLY and self.in_body:
            self._flag(f"<{tag}> in <body>")
        for name, value in attrs:
            self._attribute(tag, name, value or "")
        if tag == "a" and (href := dict(attrs).get("href")):
            self.links.append(href)

    def _script(self, attrs: dict[str, str | None]) -> None:
        if attrs.get("type") == "application/json" and attrs.get("id") == "personal-layer":
            self.in_script = "island"  # data, never run: checked in handle_data
            return
        src = attrs.get("src") or ""
        if self.in_body or not (attrs.get("type") == "module" and src.startswith("/static/")):
            self._flag(f"<script src={src!r}> that is not the app's own")

    def _attribute(self, tag: str, name: str, value: str) -> None:
        self.markers.update(MARKER.findall(value))
        if name.startswith("on"):
            self._flag(f"<{tag} {name}=...> event handler")
        elif name in BANNED_ATTRIBUTES:
            self._flag(f"<{tag} {name}=...>")
        elif name in URL_ATTRIBUTES and _SCRIPT_URL.search(_INVISIBLE.sub("", value).lower()):
            self._flag(f"<{tag} {name}={value[:40]!r}> script URL")


@dataclass(frozen=True)
class Scan:
    findings: list[Finding]
    markers: set[str]  # payload markers seen in the page's text or attribute values
    links: list[str]  # every <a href>, for a crawler to follow


def scan(html: str) -> Scan:
    """What in `html` could run script, and which payload markers it shows."""
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    return Scan(scanner.findings, scanner.markers, scanner.links)


def _is_personal_layer(data: str) -> bool:
    """The article page's data island (static/js/personal.js): lists of note ids, nothing else."""
    try:
        found = json.loads(data)
    except ValueError:
        return False
    return (
        isinstance(found, dict)
        and set(found) == {"mine", "marked", "flagged"}
        and all(isinstance(v, list) and all(type(i) is int for i in v) for v in found.values())
    )
