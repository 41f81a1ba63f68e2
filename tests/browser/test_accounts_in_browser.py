"""Accounts in a real browser: register and confirm, forgot and reset, a digest, a mention
with completion, and an admin disabling an account whose open session then fails."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Notification, NotificationKind
from app.services import outbox
from tests.factories import PASSWORD
from tests.functional.accounts.conftest import deliver, mailbox_user, smtp

pytestmark = pytest.mark.browser
__all__ = ["deliver", "mailbox_user", "smtp"]  # fixtures shared with the functional tests
NEW = "a brand new passphrase 7"


def _sign_in(page, username: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form.stacked-form button[type=submit]")
    page.wait_for_url("**/")


def test_register_then_confirm_the_address_from_the_mail(open_page, smtp, deliver) -> None:
    watched = open_page()
    page = watched.page
    page.goto("/register")
    page.fill("input[name=username]", "newcomer")
    page.fill("input[name=email]", "newcomer@example.edu")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm]", PASSWORD)
    page.click("form.stacked-form button[type=submit]")
    page.wait_for_url("**/")
    assert "newcomer@example.edu" in page.locator(".flashes").inner_text()
    deliver()
    [mail] = smtp.to("newcomer@example.edu")
    page.goto(mail.path_of("/email/confirm/"))
    page.click("text=Confirm my address")
    page.wait_for_url("**/account")
    assert page.locator(".account-email").inner_text().startswith("newcomer@example.edu")
    assert watched.problems() == []


def test_forgot_then_reset_then_signed_in(open_page, smtp, deliver, mailbox_user) -> None:
    mailbox_user("ann", display_name="Ann Author")
    page = open_page().page
    page.goto("/login")
    page.click("text=Forgotten your password?")
    page.fill("input[name=email]", "ann@example.edu")
    page.click("form.stacked-form button[type=submit]")
    assert "If an account has that address" in page.locator(".flashes").inner_text()
    deliver()
    [mail] = smtp.to("ann@example.edu")
    page.goto(mail.path_of("/password/reset/"))
    page.fill("input[name=new_password]", NEW)
    page.fill("input[name=confirm]", NEW)
    page.click("form.stacked-form button[type=submit]")
    page.wait_for_url("**/")
    assert page.locator("body[data-signed-in] .account-name").inner_text() == "Ann Author"


def test_choosing_the_daily_digest_and_receiving_it(
    open_page, make, smtp, deliver, mailbox_user
) -> None:
    ann = mailbox_user("ann")
    page = open_page(width=360).page
    _sign_in(page, "ann")
    page.goto("/account/mail")
    page.check("[data-mail-kind=reply] input[value=digest]")
    page.click("text=Save my choices")
    assert "saved" in page.locator(".flashes").inner_text()
    article = make.article()
    root = make.annotation(ann, article, body="A claim.")
    make.annotation(make.user("bob", display_name="Bob"), article, parent=root, body="No!")
    assert deliver().sent == 0
    outbox.queue_digests()
    db.session.commit()
    deliver()
    [digest] = smtp.to("ann@example.edu")
    assert "Bob replied to your annotation." in digest.text


def test_a_mention_with_completion_tells_the_member(open_page, make) -> None:
    teacher = make.user("teacher", role="instructor")
    ann = make.user("ann", display_name="Ann Author")
    bob = make.user("bobby", display_name="Bobby Reader")
    article = make.article()
    group = make.groups.group(teacher, "Seminar", articles=(article,))
    make.groups.join(ann, group)
    make.groups.join(bob, group)
    watched = open_page()
    page = watched.page
    _sign_in(page, "ann")
    page.goto(f"/articles/{article.slug}/p/p2?group={group.slug}")
    body = page.locator("form.composer textarea[name=body]").first
    body.click()
    body.type("What do you think, @bob")
    option = page.locator(".mention-list [role=option]").first
    option.wait_for()
    assert option.get_attribute("data-username") == "bobby"
    body.press("Enter")
    assert body.input_value() == "What do you think, @bobby "
    page.locator("form.composer button[type=submit]").first.click()
    link = page.locator(".annotation-body a.mention").first
    link.wait_for()
    assert link.get_attribute("href") == "/people/bobby"
    db.session.expire_all()
    told = db.session.scalars(
        select(Notification).where(
            Notification.user_id == bob.id, Notification.kind == NotificationKind.MENTION
        )
    ).all()
    assert len(told) == 1
    assert watched.problems() == []


def test_the_admin_disables_an_account_and_its_open_session_fails(open_page, make) -> None:
    make.user("boss", role="admin")
    make.user("pupil")
    pupil = open_page().page
    _sign_in(pupil, "pupil")
    admin = open_page().page
    _sign_in(admin, "boss")
    admin.goto("/admin/people?q=pupil")
    admin.click("text=Disable pupil")
    assert "disabled" in admin.locator(".flashes").inner_text()
    pupil.goto("/account")
    assert "/login" in pupil.url
    assert pupil.locator("body[data-signed-in]").count() == 0
