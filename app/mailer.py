"""Turning an outbox row into a MIME message and handing it to SMTP (or to .eml files)."""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Protocol

from flask import Flask

from app.config import MailServer
from app.models import OutboxMessage
from app.models.base import utcnow

log = logging.getLogger(__name__)
SMTP_TIMEOUT = 20  # seconds: a server that stops answering must not hold `mail send` forever


class TemporaryFailure(Exception):
    """Worth trying again later: the server is down, busy, or went away mid-send."""


class PermanentFailure(Exception):
    """The server refused this message for good (a 5xx reply): trying again changes nothing."""


def build_message(row: OutboxMessage, sender: str) -> EmailMessage:
    """The MIME message for a row: a plain-text part and, when stored, the HTML alternative.

    EmailMessage refuses CR/LF in header values, so nothing a member typed can add a header.
    """
    message = EmailMessage()
    message["From"] = sender
    message["To"] = Address(addr_spec=row.to_addr)
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at or utcnow())
    message["Message-ID"] = row.message_id
    message["Auto-Submitted"] = "auto-generated"
    if row.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{row.unsubscribe_url}>"
        # RFC 8058: the mail client may unsubscribe with one POST, no page to visit.
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(row.text_body)
    if row.html_body:
        message.add_alternative(row.html_body, subtype="html")
    return message


class Transport(Protocol):
    def __enter__(self) -> Transport: ...
    def __exit__(self, *exc: object) -> None: ...
    def send(self, message: EmailMessage) -> None: ...


class SmtpTransport:
    """One SMTP connection for a run of `mail send`; failures sorted temporary or permanent."""

    def __init__(self, server: MailServer, timeout: float = SMTP_TIMEOUT) -> None:
        self.server = server
        self.timeout = timeout
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.smtp is not None:
            # The server may have gone away; the messages are already accounted for.
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.smtp.quit()
            self.smtp = None

    def _connect(self) -> smtplib.SMTP:
        server = self.server
        try:
            if server.ssl:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    server.host, server.port, timeout=self.timeout,
                    context=ssl.create_default_context(),
                )  # fmt: skip
            else:
                smtp = smtplib.SMTP(server.host, server.port, timeout=self.timeout)
            if server.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if server.username:
                smtp.login(server.username, server.password or "")
        except (smtplib.SMTPException, OSError) as exc:
            raise TemporaryFailure(f"cannot reach {server.host}:{server.port}: {exc}") from exc
        return smtp

    def send(self, message: EmailMessage) -> None:
        if self.smtp is None:
            self.smtp = self._connect()
        try:
            refused = self.smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise _by_code(exc.recipients and next(iter(exc.recipients.values()))[0], exc) from exc
        except smtplib.SMTPResponseException as exc:
            failure = _by_code(exc.smtp_code, exc)
            if isinstance(failure, TemporaryFailure):
                self._drop()  # the session's state is unknown: start afresh next time
            raise failure from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            self._drop()  # the connection is gone: the next message opens a new one
            raise TemporaryFailure(f"the server went away: {exc}") from exc
        if refused:
            raise PermanentFailure(f"refused: {refused}")

    def _drop(self) -> None:
        if self.smtp is not None:
            with contextlib.suppress(OSError):
                self.smtp.close()
            self.smtp = None


def _by_code(code: int, exc: Exception) -> Exception:
    if 500 <= int(code) < 600:
        return PermanentFailure(f"refused ({code}): {exc}")
    return TemporaryFailure(f"deferred ({code}): {exc}")


class FileTransport:
    """Development without MAIL_URL: each message becomes an .eml file, and the log says where."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __enter__(self) -> FileTransport:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def send(self, message: EmailMessage) -> None:
        stem = str(message["Message-ID"]).strip("<>").split("@")[0]
        path = self.folder / f"{stem}.eml"
        path.write_bytes(message.as_bytes())
        # A warning, so that it shows with logging's defaults: the developer needs the path.
        log.warning("MAIL_URL is unset: mail to %s written to %s", message["To"], path)


def transport_for(app: Flask) -> SmtpTransport | FileTransport:
    server: MailServer | None = app.config.get("MAIL_SERVER")
    if server is None:
        return FileTransport(Path(app.instance_path) / "mail")
    return SmtpTransport(server, timeout=app.config.get("MAIL_TIMEOUT", SMTP_TIMEOUT))
