"""No payload from the cheat sheets survives as markup on any page, in any field that reaches one.

Payloads: tests/security/xss_payloads.txt (sources listed there and in payloads.py): the OWASP
XSS Filter Evasion Cheat Sheet, PortSwigger's XSS cheat sheet, the HTML5 Security Cheatsheet
(html5sec.org), Markdown XSS payload lists and PayloadsAllTheThings. Each goes into every field
listed in xss_world.FIELDS; every page outside the API is fetched by five kinds of viewer and
parsed with html.parser (tests/security/markup.py says what counts as unsafe). The browser half
is test_xss_browser.py.
"""

from __future__ import annotations

import time
from collections import defaultdict

from flask import Flask

from tests.security.payloads import load_payloads
from tests.security.xss_world import FIELDS, build_xss_world, crawl


def test_no_payload_becomes_markup_on_any_page(app: Flask, make) -> None:
    started = time.perf_counter()
    world = build_xss_world(make)
    built = time.perf_counter() - started
    payloads = load_payloads()
    findings: list[str] = []
    seen: dict[str, set[str]] = defaultdict(set)  # field letter -> payload markers shown
    pages = 0
    for page in crawl(app, world):
        pages += 1
        assert page.status < 500, f"{page.url} as {page.viewer}: {page.status}"
        findings += [f"{page.url} as {page.viewer}: {f}" for f in page.scan.findings]
        for marker in page.scan.markers:
            seen[marker[1]].add(marker)
    assert not findings, f"{len(findings)} unsafe elements:\n" + "\n".join(findings[:40])
    missing = {
        FIELDS[letter]: len(payloads) - len(seen[letter])
        for letter in FIELDS
        if len(seen[letter]) < len(payloads)
    }
    assert not missing, f"payloads never shown on any page, by field: {missing}"
    print(f"{len(payloads)} payloads × {len(FIELDS)} fields, {pages} pages "
          f"(world built in {built:.1f}s, total {time.perf_counter() - started:.1f}s)")  # fmt: skip
