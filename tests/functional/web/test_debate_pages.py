"""The paragraph page's debate view, sorting, helpful marks and answers, without JavaScript."""

from __future__ import annotations

from tests.factories import login
from tests.functional.web.conftest import fresh
from tests.functional.web.page import parse


def _debate(client, article, query: str = ""):  # type: ignore[no-untyped-def]
    response = client.get(f"/articles/{article.slug}/p/p2?view=debate{query}")
    assert response.status_code == 200
    return parse(response.data)


def test_the_debate_view_puts_support_and_counterarguments_side_by_side(client, make) -> None:
    ann, bob = make.user(display_name="Ann"), make.user(display_name="Bob")
    article = make.article()
    pro = make.annotation(ann, article, kind="support", body="True, and here is why.")
    con = make.annotation(bob, article, kind="counterargument", body="No: the figures differ.")
    rebuttal = make.annotation(
        ann, article, kind="counterargument", body="They do not.", parent=con
    )
    deeper = make.annotation(bob, article, kind="support", body="Source attached.", parent=rebuttal)
    ask = make.annotation(bob, article, kind="question", body="Which year?")

    page = _debate(client, article)

    supports = page.find("section", aria_labelledby="debate-top-support")
    counters = page.find("section", aria_labelledby="debate-top-counterargument")
    assert supports.has(data_annotation_id=str(pro.id))
    assert counters.has(data_annotation_id=str(con.id))
    questions = page.find("section", aria_labelledby="debate-top-question")
    assert questions.has(data_annotation_id=str(ask.id))
    # The rebuttal is in the counterargument's own debate, which holds a deeper one in turn.
    sub = counters.find("details", cls="sub-debate")
    assert "1 against" in sub.find("summary").text
    nested = sub.find("section", cls="debate-col--counterargument")
    assert nested.has(data_annotation_id=str(rebuttal.id))
    assert nested.find("section", cls="debate-col--support").has(data_annotation_id=str(deeper.id))
    assert page.find("h1").text.startswith("Paragraph 1")
    assert page.find("a", aria_current="page").text == "Debate"


def test_a_point_becomes_the_claim_of_its_own_debate(client, make) -> None:
    ann, bob = make.user(), make.user()
    article = make.article()
    con = make.annotation(bob, article, kind="counterargument", body="No.")
    back = make.annotation(ann, article, kind="support", body="Agreed.", parent=con)

    page = _debate(client, article, f"&focus={con.id}")

    claim = page.find("div", cls="debate-claim")
    assert claim.has(data_annotation_id=str(con.id))
    assert "counters the paragraph" in claim.text
    assert page.find("section", aria_labelledby=f"debate-{con.id}-support").has(
        data_annotation_id=str(back.id)
    )
    assert page.find("nav", cls="debate-trail").has("a")


def test_sorting_by_helpful_puts_the_most_marked_first_after_the_pick(client, make) -> None:
    ann, bob, cat = make.user(), make.user(), make.user()
    article = make.article()
    plain = make.annotation(ann, article, body="Plain.")
    liked = make.annotation(ann, article, body="Liked.")
    for reader in (bob, cat):
        login(client, reader.username)
        client.post(f"/annotations/{liked.id}/helpful", data={})
    page = parse(client.get(f"/articles/{article.slug}/p/p2?sort=helpful").data)

    shown = [li.attrs["data-annotation-id"] for li in page.find_all("li", cls="annotation")]
    assert shown == [str(liked.id), str(plain.id)]
    assert fresh(liked.id).helpful_count == 2
    button = page.find("li", id=f"a-{liked.id}").find("button", cls="action--helpful")
    assert button.attrs["aria-pressed"] == "true"
    assert "including you" in button.attrs["aria-label"]


def test_a_reader_takes_a_helpful_mark_back_from_the_page(client, make) -> None:
    ann, bob = make.user(), make.user()
    note = make.annotation(ann, make.article())
    login(client, bob.username)
    client.post(f"/annotations/{note.id}/helpful", data={})

    response = client.post(f"/annotations/{note.id}/helpful", data={"undo": "y"})

    assert response.status_code == 302
    assert fresh(note.id).helpful_count == 0


def test_the_one_who_asked_marks_a_reply_as_the_answer(client, make) -> None:
    ann, bob = make.user(), make.user()
    article = make.article()
    question = make.annotation(ann, article, kind="question", body="Which year?")
    reply = make.annotation(bob, article, kind="comment", body="1994.", parent=question)
    login(client, bob.username)
    assert client.post(f"/annotations/{reply.id}/answer", data={}).status_code == 403

    login(client, ann.username)
    client.post(f"/annotations/{reply.id}/answer", data={})

    assert fresh(reply.id).is_answer
    page = parse(client.get(f"/articles/{article.slug}/p/p2").data)
    assert page.find("li", id=f"a-{reply.id}").has("span", cls="answer-badge")


def test_the_live_version_is_one_query_and_304_while_nothing_changes(
    app, client, make, count_queries
) -> None:
    ann, bob = make.user(), make.user()
    article = make.article()
    note = make.annotation(ann, article)
    url = f"/articles/{article.slug}/version"
    first = client.get(url)
    etag = first.headers["ETag"]

    with count_queries() as statements:
        same = client.get(url, headers={"If-None-Match": etag})

    assert same.status_code == 304
    assert len(statements) == 1
    login(client, bob.username)
    client.post(f"/annotations/{note.id}/helpful", data={})
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.json["version"] > first.json["version"]
    assert client.get("/articles/nothing-here/version").status_code == 404
