"""A real SMTP server in process (aiosmtpd) that records what it receives, or misbehaves."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

from aiosmtpd.controller import Controller


@dataclass
class Received:
    to: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        part = self.message.get_body(("plain",))
        return part.get_content() if part is not None else ""

    @property
    def html(self) -> str:
        part = self.message.get_body(("html",))
        return part.get_content() if part is not None else ""

    def links(self) -> list[str]:
        return re.findall(r"https?://[^\s<>\"]+", self.text)

    def path_of(self, fragment: str) -> str:
        """The path (and query) of the first link in the plain text containing `fragment`."""
        for link in self.links():
            if fragment in link:
                parts = urlsplit(link)
                return parts.path + (f"?{parts.query}" if parts.query else "")
        raise AssertionError(f"no link with {fragment!r} in:\n{self.text}")


class Recorder:
    """The handler: `mode` is "accept", "refuse" (550), "defer" (451), "drop" (hang up before
    answering DATA) or "hang" (answer nothing for `hang_for` seconds)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.mode = "accept"
        self.hang_for = 3.0
        self.after_data: Callable[[int], None] | None = None
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, options) -> str:  # type: ignore[no-untyped-def]
        if self.mode == "refuse":
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        if self.mode == "defer":
            return "451 4.3.0 Try again later"
        if self.mode == "hang":
            await asyncio.sleep(self.hang_for)
            return "451 4.4.2 Too slow"
        if self.mode == "drop":
            server.transport.close()  # the server vanishes before saying "250"
            return "421 gone"
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.received.append(Received(list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
            count = len(self.received)
        if self.after_data is not None:
            self.after_data(count)
        return "250 OK"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.to]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpServer:
    def __init__(self) -> None:
        self.recorder = Recorder()
        self.port = free_port()
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.controller.stop()
