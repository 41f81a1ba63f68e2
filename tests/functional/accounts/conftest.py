"""Fixtures for the account and mail tests: a live SMTP server the app is pointed at."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from app.config import MailServer
from app.extensions import db
from app.mailer import transport_for
from app.services import outbox
from tests.functional.accounts.smtp import Recorder, SmtpServer
from tests.functional.api.conftest import bearer, sign_in
from tests.security.conftest import limited_app, make_app

# Fixtures of the API and security tests, used here too.
__all__ = ["bearer", "limited_app", "make_app", "sign_in"]


@pytest.fixture
def smtp(app: Flask) -> Iterator[Recorder]:
    """A running SMTP server; the app sends to it while the test runs."""
    before = app.config.get("MAIL_SERVER"), app.config.get("MAIL_TIMEOUT")
    with SmtpServer() as server:
        app.config["MAIL_SERVER"] = MailServer("127.0.0.1", server.port)
        app.config["MAIL_TIMEOUT"] = 2
        server.recorder.port = server.port  # type: ignore[attr-defined]
        yield server.recorder
    app.config["MAIL_SERVER"], app.config["MAIL_TIMEOUT"] = before


@pytest.fixture
def deliver(app: Flask):  # type: ignore[no-untyped-def]
    """`deliver()`: what `flask mail send` does (collect notifications, send what is due)."""

    def run() -> outbox.SendReport:
        with app.app_context():
            outbox.collect_notifications()
            db.session.commit()
            report = outbox.send_due(transport_for(app))
            db.session.remove()
            return report

    return run


@pytest.fixture
def mailbox_user(make):  # type: ignore[no-untyped-def]
    """`mailbox_user(name, **choices)`: a member with a confirmed address and mail choices."""
    from app.models import User

    def build(name: str, display_name: str | None = None, **choices: str) -> User:
        user = make.user(name, display_name=display_name or name.title())
        user.email = f"{name}@example.edu"
        if choices:
            outbox.set_choices(user, choices)
        db.session.commit()
        return user

    return build
