"""Bounds on what a request may make the app do: form field counts and slow request bodies.

The production front end (nginx buffering whole bodies, client timeouts; SECURITY.md) keeps slow
clients away from the workers. These bounds hold without it too:

- Werkzeug limits the parts of a multipart form (MAX_FORM_PARTS) but not the fields of a
  url-encoded one, which is what every form of ours posts; 5,000 fields would all be parsed and
  checked. The same limit applies to both here.
- A body shorter than its Content-Length leaves the worker waiting for bytes that never come
  (a sync worker until gunicorn kills it, 30 s later, as a WORKER TIMEOUT and a 500). Under
  gunicorn the client's socket gets a read deadline (BODY_TIMEOUT seconds) while the body is
  read, and running out of time is a 408.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Iterator
from typing import IO, Any
from urllib.parse import parse_qsl

from flask import Flask, Request
from werkzeug.exceptions import RequestEntityTooLarge, RequestTimeout
from werkzeug.formparser import FormDataParser

TOO_MANY_FIELDS = "The form has too many fields."
TOO_SLOW = "The request body did not arrive in time."


class BoundedFormParser(FormDataParser):
    """Werkzeug's parser, with max_form_parts applied to url-encoded forms as well."""

    def _parse_urlencoded(
        self,
        stream: IO[bytes],
        mimetype: str,
        content_length: int | None,
        options: dict[str, str],
    ) -> Any:
        # Werkzeug's own first check, kept: MAX_FORM_MEMORY_SIZE bounds a url-encoded form too.
        limit = self.max_form_memory_size
        if limit is not None and content_length is not None and content_length > limit:
            raise RequestEntityTooLarge()
        try:
            items = parse_qsl(
                stream.read().decode(),
                keep_blank_values=True,
                errors="werkzeug.url_quote",
                max_num_fields=self.max_form_parts,
            )
        except ValueError as exc:
            if "fields exceeded" in str(exc):  # parse_qsl's own words for max_num_fields
                raise RequestEntityTooLarge(TOO_MANY_FIELDS) from None
            raise
        return stream, self.cls(items), self.cls()


class BoundedRequest(Request):
    form_data_parser_class = BoundedFormParser


class DeadlineInput:
    """wsgi.input whose reads give up with a 408 once the socket's read deadline passes."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def _guard(self, read: Any, *args: Any) -> Any:
        try:
            return read(*args)
        except TimeoutError:
            raise RequestTimeout(TOO_SLOW) from None

    def read(self, *args: Any) -> bytes:
        return bytes(self._guard(self._stream.read, *args))

    def readline(self, *args: Any) -> bytes:
        return bytes(self._guard(self._stream.readline, *args))

    def readlines(self, *args: Any) -> list[bytes]:
        return list(self._guard(self._stream.readlines, *args))

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")


class BodyDeadline:
    """WSGI middleware: under gunicorn, a request's body must arrive within `seconds`."""

    def __init__(self, app: Any, seconds: int) -> None:
        self.app, self.seconds = app, seconds

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        sock = environ.get("gunicorn.socket")
        if isinstance(sock, socket.socket) and environ.get("CONTENT_LENGTH") not in (None, "", "0"):
            sock.settimeout(self.seconds)
            environ["wsgi.input"] = DeadlineInput(environ["wsgi.input"])
        return self.app(environ, start_response)  # type: ignore[no-any-return]


def init_app(app: Flask) -> None:
    app.request_class = BoundedRequest
    app.wsgi_app = BodyDeadline(app.wsgi_app, int(app.config["BODY_TIMEOUT"]))  # type: ignore[method-assign]
