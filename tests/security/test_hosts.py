"""The Host header is checked against TRUSTED_HOSTS, and no link is built from it.

Before, `Host: evil.example` made the moderation log's "Older" and the queue's "Next page"
links point to http://evil.example/…, and `Host: bad host` was answered 200.
"""

from __future__ import annotations

import pytest
from flask import Flask

from app.services.moderation import flag_annotation, moderate_annotation
from app.web import moderation as moderation_pages
from tests.functional.web.page import parse
from tests.security.conftest import MakeApp, sign_in


@pytest.mark.parametrize("host", ["evil.example", "bad host", "localhost.evil.example", ""])
def test_a_host_not_trusted_is_a_400(client, host: str) -> None:
    for path in ("/", "/login", "/api/v1/articles"):
        answer = client.get(path, headers={"Host": host})
        assert answer.status_code == 400, (path, host)


def test_the_machine_itself_is_trusted_by_default(client) -> None:
    for host in ("localhost", "localhost:5000", "127.0.0.1:8000"):
        assert client.get("/healthz", headers={"Host": host}).status_code == 200, host


@pytest.fixture
def paged(make, monkeypatch):  # type: ignore[no-untyped-def]
    """A group with two log entries and two queue items, one to a page."""
    monkeypatch.setattr(moderation_pages, "LOG_PAGE", 1)
    monkeypatch.setattr(moderation_pages, "QUEUE_PAGE", 1)
    teacher, ann, bob = make.user(role="instructor"), make.user(), make.user()
    article = make.article()
    group = make.groups.group(teacher, "Seminar", articles=(article,))
    make.groups.join(ann, group)
    make.groups.join(bob, group)
    for body in ("One.", "Two."):
        note = make.groups.group_note(ann, article, group, body=body)
        flag_annotation(bob, note, "spam")
        moderate_annotation(teacher, note, "pin")
    from app.extensions import db

    db.session.commit()
    return teacher, group


def test_paging_links_are_paths_whatever_the_host(make_app: MakeApp, paged) -> None:
    teacher, group = paged
    # The test client sends SERVER_NAME as its Host: here another host the site answers to.
    other = make_app(TRUSTED_HOSTS="localhost,alt.example", SERVER_NAME="alt.example")
    client = sign_in(other.test_client(), teacher.username)
    for path, label in ((f"/groups/{group.slug}/moderation/log", "before="),
                        (f"/groups/{group.slug}/moderation", "after=")):  # fmt: skip
        answer = client.get(path)
        assert answer.request.host == "alt.example"
        page = parse(answer.data)
        links = [a.attrs["href"] for a in page.find_all("a") if label in a.attrs.get("href", "")]
        assert links, f"no next-page link on {path}"
        assert all(link.startswith(path + "?") for link in links), links


def test_absolute_links_come_from_public_url(make_app: MakeApp, make) -> None:
    teacher = make.user(role="instructor")
    group = make.groups.group(teacher, "Seminar")
    # Served on localhost too (as behind a proxy that passes its own name): links still say
    # the public address.
    site = make_app(PUBLIC_URL="https://cp.example.edu", TRUSTED_HOSTS="localhost")
    client = sign_in(site.test_client(), teacher.username)
    page = client.get(f"/groups/{group.slug}").get_data(as_text=True)
    assert f"https://cp.example.edu/groups/join/{group.join_code}" in page
    assert "http://localhost/groups/join" not in page
    # Its host is trusted without being listed; the rest of the default loopback list is not.
    assert site.test_client().get("/healthz", headers={"Host": "cp.example.edu"}).status_code == 200
    assert site.test_client().get("/healthz", headers={"Host": "127.0.0.1"}).status_code == 400


def test_the_suites_app_trusts_what_the_test_client_sends(app: Flask) -> None:
    assert "localhost" in app.config["TRUSTED_HOSTS"]
