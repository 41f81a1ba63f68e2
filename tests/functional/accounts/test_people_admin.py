"""The admin's people page and API: finding accounts, roles, disabling, reset links, the log."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Annotation, AuditEntry, User
from app.services.tokens import find_token_user, issue_token
from tests.factories import PASSWORD, login
from tests.functional.api.test_openapi import Checker

API = "/api/v1"


def _fresh(name: str) -> User:
    db.session.expire_all()
    return db.session.scalars(select(User).where(User.username == name)).one()


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_disabling_ends_the_open_session_and_tokens_at_once_and_keeps_the_notes(
    app, make, smtp
) -> None:
    make.user("boss", role="admin")
    pupil = make.user("pupil")
    article = make.article()
    make.annotation(pupil, article, body="My note stays.")
    raw, _ = issue_token(pupil)
    db.session.commit()
    session = app.test_client()
    login(session, "pupil")
    admin = app.test_client()
    login(admin, "boss")

    assert admin.post("/admin/people/pupil/disable").status_code == 302
    assert session.get("/account").status_code == 302  # sent to sign in
    assert find_token_user(raw) is None
    refused = app.test_client().post("/login", data={"username": "pupil", "password": PASSWORD})
    assert refused.status_code == 422
    assert db.session.scalar(select(Annotation.body)) == "My note stays."

    assert admin.post("/admin/people/pupil/enable").status_code == 302
    login(app.test_client(), "pupil")
    assert _actions() == ["disable", "enable"]
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert "disabled" in page
    assert "enabled" in page


def test_the_last_admin_cannot_be_disabled_or_demoted(app, make, bearer) -> None:
    boss = make.user("boss", role="admin")
    client = app.test_client()
    login(client, "boss")
    page = client.post("/admin/people/boss/disable", follow_redirects=True)
    assert "last administrator" in page.get_data(as_text=True)
    headers = bearer(boss)
    demoted = client.patch(f"{API}/users/boss", json={"role": "member"}, headers=headers)
    assert demoted.status_code == 409
    assert _fresh("boss").role == "admin"
    assert _fresh("boss").disabled_at is None
    make.user("second", role="admin")
    assert (
        client.patch(f"{API}/users/boss", json={"disabled": True}, headers=headers).status_code
        == 200
    )
    assert _fresh("boss").disabled_at is not None


def test_the_api_finds_and_changes_accounts_as_documented(app, make, bearer) -> None:
    check = Checker(app.test_client().get(f"{API}/openapi.json").get_json())
    boss = make.user("boss", role="admin")
    make.user("pupil", display_name="Pupil Person")
    make.user("other")
    client, headers = app.test_client(), bearer(boss)

    found = client.get(f"{API}/users?q=pupil%20p", headers=headers)
    check(found, "get", "/users")
    found = client.get(f"{API}/users?q=PERSON", headers=headers)
    assert [u["username"] for u in found.get_json()["items"]] == ["pupil"]
    paged = client.get(f"{API}/users?limit=2", headers=headers).get_json()
    assert len(paged["items"]) == 2
    assert paged["next"] is not None
    changed = client.patch(f"{API}/users/pupil", json={"role": "instructor"}, headers=headers)
    check(changed, "patch", "/users/{username}")
    assert changed.get_json()["role"] == "instructor"
    for body in ({}, {"role": "emperor"}, {"disabled": "yes"}, {"nickname": "x"}):
        bad = client.patch(f"{API}/users/pupil", json=body, headers=headers)
        check(bad, "patch", "/users/{username}")
        assert bad.status_code == 422
    missing = client.patch(f"{API}/users/ghost", json={"role": "member"}, headers=headers)
    check(missing, "patch", "/users/{username}")
    assert missing.status_code == 404
    refused = client.get(f"{API}/users", headers=bearer(_fresh("other")))
    check(refused, "get", "/users")
    assert refused.status_code == 403
    assert _actions() == ["role"]


def test_search_matches_username_name_or_address_and_addresses_stay_off_member_pages(
    app, make, mailbox_user
) -> None:
    make.user("boss", role="admin")
    mailbox_user("ann", display_name="Ann Author")
    admin = app.test_client()
    login(admin, "boss")
    for query in ("ann", "author", "ann@example"):
        page = admin.get("/admin/people", query_string={"q": query}).get_data(as_text=True)
        assert 'data-person="ann"' in page, query
    member = app.test_client()
    login(member, "ann")
    assert "ann@example.edu" not in app.test_client().get("/people/ann").get_data(as_text=True)
    assert admin.get("/admin/people", query_string={"q": "%"}).status_code == 200


def test_an_admin_sends_a_reset_link_to_a_confirmed_address(
    app, make, smtp, deliver, mailbox_user
) -> None:
    make.user("boss", role="admin")
    mailbox_user("ann")
    make.user("nomail")
    admin = app.test_client()
    login(admin, "boss")
    admin.post("/admin/people/ann/reset")
    no_address = admin.post("/admin/people/nomail/reset", follow_redirects=True)
    assert "no confirmed email address" in no_address.get_data(as_text=True)
    deliver()
    [mail] = smtp.to("ann@example.edu")
    assert "/password/reset/" in mail.text
    assert _actions() == ["reset_link"]
