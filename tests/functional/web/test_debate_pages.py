"""The paragraph page's debate view, sorting, helpful marks and answers, without JavaScript."""

from __future__ import annotations

import pytest

from app.services.annotations import Quote
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


def _argue(make, article, against: int, support: int, anchor: str = "p2"):  # type: ignore[no-untyped-def]
    who = make.user()
    for _ in range(against):
        make.annotation(who, article, anchor=anchor, kind="counterargument", body="No.")
    for _ in range(support):
        make.annotation(who, article, anchor=anchor, kind="support", body="Yes.")


def test_the_overview_ranks_contested_paragraphs_and_lists_open_questions(client, make) -> None:
    ann, bob = make.user(), make.user()
    article = make.article()
    _argue(make, article, against=1, support=3, anchor="p2")
    _argue(make, article, against=2, support=1, anchor="p3")
    open_q = make.annotation(ann, article, anchor="p4", kind="question", body="Open?")
    done_q = make.annotation(ann, article, anchor="p4", kind="question", body="Done?")
    reply = make.annotation(bob, article, anchor="p4", kind="comment", body="Yes.", parent=done_q)
    login(client, ann.username)
    client.post(f"/annotations/{reply.id}/answer", data={})

    page = parse(client.get(f"/articles/{article.slug}/overview").data)

    items = page.find("section", aria_labelledby="contested-heading").find_all("li")
    assert [li.find("a").text for li in items] == ["Paragraph 2", "Paragraph 1"]
    assert "contested: 3 notes, 2 against, 1 for" in items[0].text
    questions = page.find("section", aria_labelledby="questions-heading")
    assert questions.has(data_annotation_id=str(open_q.id))
    assert not questions.has(data_annotation_id=str(done_q.id))


def test_the_article_page_says_how_contested_each_block_is_in_words(client, make) -> None:
    article = make.article()
    _argue(make, article, against=2, support=1, anchor="p3")

    page = parse(client.get(f"/articles/{article.slug}").data)

    assert page.find("section", id="p3").find("p", cls="heat").text == "Contested: 2 against, 1 for"
    assert page.find("section", id="p3").has("span", cls="strip--contested")
    assert not page.find("section", id="p2").has("span", cls="strip")


def test_all_notes_filter_by_kind_author_and_discussion(client, make, classroom) -> None:
    c = classroom
    public = make.annotation(c.ann, c.article, kind="question", body="Public question.")
    make.annotation(c.bob, c.article, kind="support", body="Public support.")
    group_note = make.groups.group_note(c.ann, c.article, c.group, kind="question")
    login(client, c.bob.username)
    url = f"/articles/{c.article.slug}/notes"

    def shown(**query: str) -> list[str]:
        page = parse(client.get(url, query_string=query).data)
        return [el.attrs["data-annotation-id"] for el in page.find_all("article", cls="note-card")]

    assert set(shown()) == {str(public.id), str(group_note.id), shown(kind="support")[0]}
    assert shown(kind="question", author="ann", **{"in": "public"}) == [str(public.id)]
    assert shown(**{"in": c.group.slug}) == [str(group_note.id)]
    assert client.get(url, query_string={"kind": "rant"}).status_code == 422
    assert client.get(url, query_string={"in": "not-mine"}).status_code == 422


@pytest.mark.parametrize("page", ["overview", "notes"])
def test_overview_and_all_notes_run_a_fixed_number_of_statements(
    client, make, count_queries, page: str
) -> None:
    small, large = make.article(), make.article()
    _argue(make, small, against=1, support=1)
    for anchor in ("p2", "p3", "p4"):
        _argue(make, large, against=6, support=4, anchor=anchor)
        make.annotation(make.user(), large, anchor=anchor, kind="question", body="Why?")

    def statements(slug: str) -> int:
        client.get(f"/articles/{slug}/{page}")
        with count_queries() as q:
            assert client.get(f"/articles/{slug}/{page}").status_code == 200
        return len(q)

    assert statements(small.slug) == statements(large.slug)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [("", ["late", "early", "liked"]), ("helpful", ["liked", "late", "early"]),
     # Reading order: the note on the whole block first, then by where the quote starts.
     ("newest", ["liked", "early", "late"]), ("document", ["liked", "late", "early"])],
)  # fmt: skip
def test_the_article_page_sorts_each_blocks_notes(
    client, make, sort: str, expected: list[str]
) -> None:
    ann, bob = make.user(), make.user()
    article = make.article()
    notes = {
        "late": make.annotation(ann, article, body="late", quote=Quote("first", "The ", " par")),
        "early": make.annotation(ann, article, body="early", quote=Quote("claim", "a ", " that")),
        "liked": make.annotation(ann, article, body="liked"),
    }
    by_id = {str(n.id): name for name, n in notes.items()}
    login(client, bob.username)
    client.post(f"/annotations/{notes['liked'].id}/helpful", data={})
    client.post("/logout")

    page = parse(client.get(f"/articles/{article.slug}", query_string={"sort": sort}).data)

    shown = page.find("section", id="p2").find_all("li", cls="annotation")
    order = [by_id[li.attrs["data-annotation-id"]] for li in shown]
    assert order == expected


def test_the_debate_of_one_quoted_phrase_holds_only_the_notes_on_it(client, make) -> None:
    ann = make.user()
    article = make.article()
    on_quote = make.annotation(
        ann, article, kind="counterargument", body="No.", quote=Quote("a claim", "makes ", " that")
    )
    whole = make.annotation(ann, article, kind="support", body="Yes.")
    page = _debate(client, article)
    link = page.find("nav", cls="debate-quotes").find("a")
    assert link.text == "“a claim”"

    quoted = parse(client.get(link.attrs["href"]).data)

    assert quoted.has(data_annotation_id=str(on_quote.id))
    assert not quoted.has("li", data_annotation_id=str(whole.id))
    assert "the quoted words “a claim”" in quoted.find("div", cls="debate").text


def test_a_replys_kind_says_how_it_relates_to_its_parent(client, make) -> None:
    ann, bob = make.user(), make.user()
    article = make.article()
    claim = make.annotation(ann, article, kind="support", body="Yes.")
    replies = {
        kind: make.annotation(bob, article, kind=kind, body="Re.", parent=claim)
        for kind in ("support", "counterargument", "question", "comment")
    }

    page = parse(client.get(f"/articles/{article.slug}/p/p2").data)

    assert page.find("li", id=f"a-{claim.id}").find(cls="kind-badge").text == "Support"
    said = {
        k: page.find("li", id=f"a-{n.id}").find(cls="kind-badge").text for k, n in replies.items()
    }
    assert said == {
        "support": "Supports", "counterargument": "Counters", "question": "Asks",
        "comment": "Comments",
    }  # fmt: skip


def test_odd_filters_on_the_notes_list_are_explained_not_crashed_on(client, make) -> None:
    article = make.article()
    url = f"/articles/{article.slug}/notes"

    assert client.get(url, query_string={"author": "a\x00b"}).status_code == 400  # app-wide rule
    assert client.get(url, query_string={"sort": "sideways"}).status_code == 200  # the default
    debate = client.get(f"/articles/{article.slug}/p/p2?view=debate&focus=99999999999&quote=x")
    assert debate.status_code == 200
    assert "None yet." in debate.get_data(as_text=True)
