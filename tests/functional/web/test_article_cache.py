"""The anonymous article page's ETag and kept blocks: never stale after any write, never shared
with a signed-in reader or a group's discussion, and drawn exactly as the full page is."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Annotation, Article, User
from app.services.annotations import NewAnnotation, post_annotation
from app.services.moderation import moderate_annotation
from app.services.tokens import issue_token
from app.web import caching
from tests.factories import login
from tests.functional.web.test_query_counts import _bulk_annotations


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    caching.fragments.clear()
    yield
    caching.fragments.clear()


def _as_drawn_for_a_guest(page: str) -> str:
    """The shared layer without what a guest's own page would not have: its marks for the
    page's script (data-shared, data-locked) and the Reply links the stylesheet hides from
    guests (`for-members`)."""
    page = re.sub(r" data-shared( data-locked)?", "", page)
    page = re.sub(r'<a class="action for-members"[^>]*>Reply</a>', "", page)
    return re.sub(r"\s+", " ", page)


def _etag(client: FlaskClient, slug: str) -> str:
    response = client.get(f"/articles/{slug}")
    assert response.status_code == 200
    assert response.headers["ETag"].startswith('W/"')
    return response.headers["ETag"]


def _revalidate(client: FlaskClient, slug: str, etag: str) -> tuple[int, str]:
    response = client.get(f"/articles/{slug}", headers={"If-None-Match": etag})
    return response.status_code, response.get_data(as_text=True)


@pytest.mark.parametrize("page", ["", "/p/p2"], ids=["article", "paragraph"])
def test_the_anonymous_page_may_be_kept_by_a_proxy_and_is_revalidated_by_browsers(
    client: FlaskClient, make: Any, page: str
) -> None:
    article = make.article()
    response = client.get(f"/articles/{article.slug}{page}")
    assert response.headers["ETag"].startswith('W/"')
    assert response.cache_control.public
    assert response.cache_control.max_age == 0  # a browser asks each time (a 304 is cheap)
    assert response.cache_control.s_maxage == caching.SHARED_SECONDS
    assert "Cookie" in response.vary
    assert "Set-Cookie" not in response.headers  # nothing personal: no session, no token
    again = client.get(
        f"/articles/{article.slug}{page}", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304


@pytest.mark.parametrize("group", [False, True], ids=["public", "group"])
def test_a_signed_in_page_is_kept_by_no_one(
    client: FlaskClient, signed_in: Any, classroom: Any, group: bool
) -> None:
    member = signed_in(classroom.bob)
    query = f"?group={classroom.group.slug}" if group else ""
    for page in ("", "/p/p2"):
        response = member.get(f"/articles/{classroom.article.slug}{page}{query}")
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"  # it holds a CSRF token
        assert "ETag" not in response.headers
    api = member.get(f"/api/v1/articles/{classroom.article.slug}/annotations")
    assert api.headers["Cache-Control"] == "private"
    raw, _ = issue_token(classroom.bob)
    db.session.commit()
    token = {"Authorization": f"Bearer {raw}"}
    api = client.get(f"/api/v1/articles/{classroom.article.slug}/annotations", headers=token)
    assert api.headers["Cache-Control"] == "private"


def test_a_reader_who_has_the_page_gets_a_304_for_one_query(
    client: FlaskClient, make: Any, count_queries: Any
) -> None:
    article = make.article()
    make.annotation(make.user(), article, body="Already here.")
    etag = _etag(client, article.slug)
    db.session.remove()
    with count_queries() as queries:
        status, body = _revalidate(client, article.slug, etag)
    assert (status, body) == (304, "")
    assert len(queries) == 1  # the article, with its discussion version


def test_the_kept_blocks_draw_the_same_page_as_drawing_it_in_full(
    app: Flask, client: FlaskClient, make: Any
) -> None:
    article = make.article()
    author = make.user(display_name="Kept Author")
    note = make.annotation(author, article, body="*Emphasis* and a [link](https://example.org)")
    make.annotation(author, article, body="A reply.", parent=note)
    client.get(f"/articles/{article.slug}")  # draws and keeps the blocks
    assert len(caching.fragments) == 1
    kept = client.get(f"/articles/{article.slug}").get_data(as_text=True)
    app.config["ARTICLE_CACHE"] = False
    try:
        full = client.get(f"/articles/{article.slug}").get_data(as_text=True)
    finally:
        app.config["ARTICLE_CACHE"] = True
    assert "Kept Author" in kept
    assert "for-members" in kept
    assert _as_drawn_for_a_guest(kept) == re.sub(r"\s+", " ", full)


def test_a_miss_reads_four_statements_for_5_or_500_annotations(
    app: Flask, client: FlaskClient, make: Any, count_queries: Any
) -> None:
    reader = make.user()
    small, large = make.article(), make.article()
    _bulk_annotations(small, [reader], 5)
    _bulk_annotations(large, [reader], 500)
    small_slug, large_slug = small.slug, large.slug

    def miss(slug: str) -> int:
        caching.fragments.clear()
        db.session.remove()
        with count_queries() as queries:
            assert client.get(f"/articles/{slug}").status_code == 200
        return len(queries)

    client.get(f"/articles/{small_slug}")  # per-process warm-up
    # The article, its blocks, counts with quotes, previews: constant however long the thread.
    assert miss(small_slug) == miss(large_slug) == 4


# --- every kind of write makes the next anonymous request draw the page again ---------------


@dataclass(frozen=True)
class Written:
    author: str  # a username
    slug: str
    note_id: int


def _token(username: str) -> dict[str, str]:
    raw, _ = issue_token(db.session.scalars(select(User).filter_by(username=username)).one())
    db.session.commit()
    return {"Authorization": f"Bearer {raw}"}


def _post_web(app: Flask, w: Written) -> str:
    client = app.test_client()
    login(client, w.author)
    response = client.post(
        f"/articles/{w.slug}/p/p2/annotations", data={"kind": "question", "body": "Web?"}
    )
    assert response.status_code == 302
    return "Web?"


def _post_api(app: Flask, w: Written) -> str:
    response = app.test_client().post(
        f"/api/v1/articles/{w.slug}/annotations",
        json={"anchor": "p3", "kind": "support", "body": "Posted by API"},
        headers=_token(w.author),
    )
    assert response.status_code == 201
    return "Posted by API"


def _reply_api(app: Flask, w: Written) -> str:
    response = app.test_client().post(
        f"/api/v1/articles/{w.slug}/annotations",
        json={"anchor": "p2", "kind": "comment", "body": "a reply", "parent": w.note_id},
        headers=_token(w.author),
    )
    assert response.status_code == 201
    return 'data-reply-count="1"'


def _edit_web(app: Flask, w: Written) -> str:
    client = app.test_client()
    login(client, w.author)
    response = client.post(
        f"/annotations/{w.note_id}/edit", data={"kind": "comment", "body": "Edited on the page"}
    )
    assert response.status_code == 302
    return "Edited on the page"


def _edit_api(app: Flask, w: Written) -> str:
    response = app.test_client().patch(
        f"/api/v1/annotations/{w.note_id}", json={"body": "Edited by API"}, headers=_token(w.author)
    )
    assert response.status_code == 200
    return "Edited by API"


def _delete_web(app: Flask, w: Written) -> str:
    client = app.test_client()
    login(client, w.author)
    assert client.post(f"/annotations/{w.note_id}/delete").status_code == 302
    return "Nobody has written about this yet."


def _delete_api(app: Flask, w: Written) -> str:
    response = app.test_client().delete(
        f"/api/v1/annotations/{w.note_id}", headers=_token(w.author)
    )
    assert response.status_code == 204
    return "Nobody has written about this yet."


def _moderator(action: str) -> Callable[[Flask, Written], str]:
    def act(app: Flask, w: Written) -> str:
        response = app.test_client().post(
            f"/api/v1/annotations/{w.note_id}/moderation",
            json={"action": action, "reason": "testing"},
            headers=_token("site-admin"),
        )
        assert response.status_code == 200, response.get_json()
        return {"hide": "[hidden by a moderator]", "pin": "is-pinned", "lock": "Locked"}[action]

    return act


def _moderate_service(app: Flask, w: Written) -> str:
    admin = db.session.scalars(select(User).filter_by(username="site-admin")).one()
    note = db.session.get(Annotation, w.note_id)
    assert note is not None
    moderate_annotation(admin, note, "delete", "through the service")
    db.session.commit()
    return "Nobody has written about this yet."


def _rename_author(app: Flask, w: Written) -> str:
    db.session.scalars(select(User).filter_by(username=w.author)).one().display_name = "A New Name"
    db.session.commit()
    return "A New Name"


WRITES = {
    "post on the page": _post_web,
    "post through the API": _post_api,
    "reply through the API": _reply_api,
    "edit on the page": _edit_web,
    "edit through the API": _edit_api,
    "delete on the page": _delete_web,
    "delete through the API": _delete_api,
    "moderator hides": _moderator("hide"),
    "moderator pins": _moderator("pin"),
    "moderator locks": _moderator("lock"),
    "moderator deletes (service)": _moderate_service,
    "author renamed": _rename_author,
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_every_write_makes_the_kept_page_and_its_etag_stale(
    app: Flask, client: FlaskClient, make: Any, write: Callable[..., str]
) -> None:
    make.user("site-admin", role="admin")
    author = make.user(display_name="First Name")
    article = make.article()
    note = make.annotation(author, article, anchor="p2", body="The original words.")
    w = Written(author.username, article.slug, note.id)
    etag = _etag(client, w.slug)
    assert _revalidate(client, w.slug, etag)[0] == 304
    db.session.remove()

    shows = write(app, w)

    db.session.remove()
    status, page = _revalidate(client, w.slug, etag)
    assert status == 200
    assert shows in page
    again = client.get(f"/articles/{w.slug}")
    assert again.headers["ETag"] != etag
    assert shows in again.get_data(as_text=True)


def test_a_write_raises_the_version_in_its_own_transaction(make: Any) -> None:
    author, article = make.user(), make.article()
    before = article.discussion_version
    post_annotation(author, article, NewAnnotation(anchor="p2", kind="comment", body="x"))
    assert article.discussion_version == before + 1  # flushed, not committed: same transaction
    db.session.rollback()
    assert db.session.get(Article, article.id).discussion_version == before


# --- pages drawn for one reader are never the anonymous copy, and never go into it ----------


def test_a_signed_in_reader_gets_their_own_page_never_the_kept_one(
    app: Flask, client: FlaskClient, make: Any
) -> None:
    reader = make.user()
    article = make.article()
    make.annotation(make.user(), article, body="Public words.")
    post_annotation(
        reader, article, NewAnnotation(anchor="p2", kind="comment", body="My secret", private=True)
    )
    db.session.commit()
    client.get(f"/articles/{article.slug}")  # keeps the anonymous blocks
    kept = len(caching.fragments)
    mine = app.test_client()
    login(mine, reader.username)
    response = mine.get(f"/articles/{article.slug}")
    assert "My secret" in response.get_data(as_text=True)
    assert "ETag" not in response.headers
    assert len(caching.fragments) == kept  # nothing of it was kept
    assert "My secret" not in client.get(f"/articles/{article.slug}").get_data(as_text=True)


def test_a_groups_discussion_is_drawn_for_its_members_never_from_the_public_copy(
    client: FlaskClient, signed_in: Any, classroom: Any, make: Any
) -> None:
    article, group = classroom.article, classroom.group
    make.annotation(classroom.bob, article, body="For everyone.")
    make.groups.group_note(classroom.ann, article, group, body="For the seminar only")
    client.get(f"/articles/{article.slug}")
    member = signed_in(classroom.bob)
    response = member.get(f"/articles/{article.slug}?group={group.slug}")
    assert "For the seminar only" in response.get_data(as_text=True)
    assert "ETag" not in response.headers
    public = client.get(f"/articles/{article.slug}").get_data(as_text=True)
    assert "For everyone." in public
    assert "For the seminar only" not in public
    # An anonymous reader naming the group gets nothing of it, from the cache or otherwise.
    assert client.get(f"/articles/{article.slug}?group={group.slug}").status_code == 404


def test_a_pending_flash_is_drawn_not_swallowed_by_a_304(client: FlaskClient, make: Any) -> None:
    article = make.article()
    etag = _etag(client, article.slug)
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "You are signed out.")]
    response = client.get(f"/articles/{article.slug}", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "You are signed out." in response.get_data(as_text=True)
    assert "ETag" not in response.headers
    assert _revalidate(client, article.slug, etag)[0] == 304


# --- the cache itself ----------------------------------------------------------------------


def _parts(text: str) -> caching.Shared:
    from markupsafe import escape

    from app.web.present import BlockCopy, Place

    place = Place(BlockCopy(1, "p1", "paragraph", 0, ""), 1, [])
    return caching.Shared((caching.Part(escape(text), place),), level=4)


def test_the_cache_keeps_only_the_newest_version_of_a_discussion() -> None:
    cache = caching.FragmentCache(max_entries=10)
    public, group = (1, 0.0, 0, ""), (1, 0.0, 7, "")
    cache.put((public, 1, 0), _parts("v1"))
    cache.put(((2, 0.0, 0, ""), 1, 0), _parts("other"))
    cache.put((group, 1, 0), _parts("the group"))
    cache.put((public, 2, 0), _parts("v2"))
    assert cache.get((public, 1, 0)) is None
    assert cache.get((public, 2, 0)) == _parts("v2")
    assert cache.get((group, 1, 0)) == _parts("the group")  # another discussion of the article
    assert len(cache) == 3


def test_the_cache_is_bounded_by_entries_and_bytes() -> None:
    cache = caching.FragmentCache(max_entries=3, max_bytes=200)  # a kept block counts twice

    def key(n: int) -> caching.Key:
        return ((n, 0.0, 0, ""), 0, 0)

    for n in range(5):
        cache.put(key(n), _parts("x" * 10))
    assert len(cache) == 3
    assert cache.get(key(0)) is None  # least recently used went first
    cache.put(key(9), _parts("y" * 95))
    assert cache.size <= 200
    assert cache.put(key(10), _parts("z" * 101)) == _parts("z" * 101)  # too big: not kept
    assert cache.get(key(10)) is None


def test_relative_times_in_a_kept_page_are_at_most_a_minute_old(make: Any) -> None:
    article = make.article()
    start = 1_000_000 * caching.FRESH_SECONDS
    assert caching.key_for(article, now=start) == caching.key_for(article, now=start + 59)
    assert caching.key_for(article, now=start) != caching.key_for(article, now=start + 60)
