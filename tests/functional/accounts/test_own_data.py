"""Your own data: changing your name, the export, and deleting the account as the page says."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Annotation,
    AnnotationStatus,
    ApiToken,
    Membership,
    Notification,
    User,
)
from tests.factories import PASSWORD, login
from tests.functional.api.test_openapi import Checker

API = "/api/v1"


def test_the_export_has_everything_i_wrote_private_notes_too(app, make, bearer) -> None:
    check = Checker(app.test_client().get(f"{API}/openapi.json").get_json())
    ann = make.user("ann")
    article = make.article()
    make.annotation(ann, article, body="Public thought.")
    from app.services.annotations import NewAnnotation, post_annotation

    post_annotation(ann, article, NewAnnotation("p2", "comment", "Private thought.", private=True))
    db.session.commit()
    response = app.test_client().get(f"{API}/me/export", headers=bearer(ann))
    check(response, "get", "/me/export")
    bodies = {n["body"] for n in response.get_json()["annotations"]}
    assert bodies == {"Public thought.", "Private thought."}
    client = app.test_client()
    login(client, "ann")
    page = client.get("/account/export")
    assert page.mimetype == "application/json"
    assert page.get_json()["account"]["username"] == "ann"


def test_deleting_keeps_answered_notes_as_placeholders_and_erases_the_rest(
    app, make, bearer, mailbox_user
) -> None:
    check = Checker(app.test_client().get(f"{API}/openapi.json").get_json())
    ann = mailbox_user("ann", display_name="Ann Author")
    bob = make.user("bob")
    elsewhere = make.article()
    bobs = make.annotation(bob, elsewhere, body="Bob's own claim.")
    make.annotation(ann, elsewhere, parent=bobs, body="Ann replies to Bob.")  # tells Bob
    teacher = make.user("teach", role="instructor")
    article = make.article()
    group = make.groups.group(teacher, "Seminar", articles=(article,))
    make.groups.join(ann, group)
    answered = make.annotation(ann, article, body="Answered claim.")
    mine_below = make.annotation(ann, article, parent=answered, body="My own follow-up.")
    make.annotation(bob, article, parent=mine_below, body="Bob answers.")
    lonely = make.annotation(ann, article, body="Nobody replied.")
    own_thread = make.annotation(ann, article, body="Talking to myself.")
    make.annotation(ann, article, parent=own_thread, body="Still me.")
    headers = bearer(ann)
    ids = answered.id, mine_below.id, lonely.id, own_thread.id

    wrong = app.test_client().delete(f"{API}/me", json={"password": "nope"}, headers=headers)
    check(wrong, "delete", "/me")
    assert wrong.status_code == 422
    gone = app.test_client().delete(f"{API}/me", json={"password": PASSWORD}, headers=headers)
    check(gone, "delete", "/me")
    assert gone.status_code == 204

    db.session.expire_all()
    former = db.session.get(User, ann.id)
    assert former.display_name == "a former member"
    assert former.email is None
    assert former.username.startswith("former-member-")
    kept = {n.id: n for n in db.session.scalars(select(Annotation).where(Annotation.id.in_(ids)))}
    assert set(kept) == {answered.id, mine_below.id}
    assert all(n.status == AnnotationStatus.DELETED and n.body == "" for n in kept.values())
    assert (
        "Bob answers."
        in db.session.scalars(select(Annotation.body).where(Annotation.author_id == bob.id)).all()
    )
    told = db.session.scalars(select(Notification.message).where(Notification.user_id == bob.id))
    assert "Ann Author" not in " ".join(told)
    for model in (Membership, ApiToken):
        count = select(func.count()).select_from(model).where(model.user_id == ann.id)
        assert db.session.scalar(count) == 0
    assert (
        app.test_client().post("/login", data={"username": "ann", "password": PASSWORD}).status_code
        == 422
    )
    page = app.test_client().get(f"/articles/{article.slug}/p/p2").get_data(as_text=True)
    assert "Answered claim." not in page
    assert "Bob answers." in page


def test_the_delete_page_explains_before_it_asks_and_a_wrong_password_changes_nothing(
    app, make
) -> None:
    make.user("ann")
    client = app.test_client()
    login(client, "ann")
    page = client.get("/account/delete").get_data(as_text=True)
    assert "a former member" in page
    assert "removed" in page
    refused = client.post("/account/delete", data={"password": "wrong"})
    assert refused.status_code == 422
    assert client.get("/account").status_code == 200


def test_changing_the_display_name(app, make) -> None:
    make.user("ann")
    client = app.test_client()
    login(client, "ann")
    assert client.post("/account/profile", data={"display_name": "  Ann  B. "}).status_code == 302
    assert client.post("/account/profile", data={"display_name": "x" * 81}).status_code == 422
    db.session.expire_all()
    assert db.session.scalar(select(User.display_name).where(User.username == "ann")) == "Ann B."


def test_mail_choices_are_saved_and_bad_ones_refused(app, make) -> None:
    make.user("ann")
    client = app.test_client()
    login(client, "ann")
    assert client.post("/account/mail", data={"kind-reply": "digest"}).status_code == 302
    assert client.post("/account/mail", data={"kind-reply": "hourly"}).status_code == 422
    page = client.get("/account/mail").get_data(as_text=True)
    assert 'name="kind-reply" value="digest" checked' in page
