"""Every write route answers 429 once its rate is spent (issue 14.6): found in the URL map, so
a form or API call added later is covered the day it is added."""

from __future__ import annotations

import re

from flask import Flask
from werkzeug.routing import Rule

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
MOST = 61  # one more than the write rate allows a minute


def _write_rules(app: Flask) -> list[tuple[Rule, str]]:
    return [
        (rule, method)
        for rule in app.url_map.iter_rules()
        for method in sorted((rule.methods or set()) & WRITES)
        if not rule.rule.startswith("/static")
    ]


def _path(rule: Rule) -> str:
    # Any value will do: the limit is checked before the view loads anything.
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: "1" if "id" in m[1] else "x", rule.rule)


def test_every_write_route_is_rate_limited(limited_app: Flask) -> None:
    """One request each: a limited route reports its limit in X-RateLimit-* headers (the
    counting itself is proven for one route below, and per route in test_limits)."""
    rules = _write_rules(limited_app)
    assert len(rules) > 40  # the map was read, not an empty list
    unlimited = []
    for n, (rule, method) in enumerate(rules):
        client = limited_app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.{n // 250}.{n % 250}.9"
        response = client.open(_path(rule), method=method)
        limit = response.headers.get("X-RateLimit-Limit")
        if limit is None or not 0 < int(limit) <= 60:
            unlimited.append(f"{method} {rule.rule}")
    assert unlimited == []


def test_group_management_writes_are_limited_per_user_not_per_route_family(
    limited_app: Flask, make
) -> None:
    from tests.security.conftest import sign_in

    teacher = make.user(role="instructor")
    group = make.groups.group(teacher)
    client = sign_in(limited_app.test_client(), teacher.username)
    path = f"/groups/{group.slug}/code"
    statuses = [client.post(path).status_code for _ in range(MOST)]
    assert statuses[:60] == [302] * 60
    assert statuses[60] == 429
    # Another instructor is not held back by the first one's clicking.
    other = make.user(role="instructor")
    second = sign_in(limited_app.test_client(), other.username)
    assert second.post(f"/groups/{make.groups.group(other, 'Other').slug}/code").status_code == 302
