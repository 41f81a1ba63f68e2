"""Paths for the authorization table's account rows: links signed as the mail would carry them."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.authz.world import World


def unsubscribe_path(w: World) -> str:
    from app.services.outbox import unsubscribe_url

    return urlsplit(unsubscribe_url(w.users["author"], "reply")).path


def reset_path(w: World) -> str:
    from app.services.accounts import reset_link

    return urlsplit(reset_link(w.users["pupil"])).path


def confirm_path(w: World) -> str:
    # The pupil never asked for this address: a valid signature, but a stale link.
    from app.services.accounts import address_digest
    from app.services.links import Purpose, sign

    payload = {"u": w.users["pupil"].id, "e": address_digest("pupil@example.edu")}
    return f"/email/confirm/{sign(Purpose.CONFIRM, payload)}"


NEW_PASSWORD = {"new_password": "a fresh passphrase 42", "confirm": "a fresh passphrase 42"}
