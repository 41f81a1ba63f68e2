"""What the site header tells a signed-in reader: unread notifications, waiting moderation."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from flask import g, url_for

from app.services import moderation
from app.web.blueprint import bp, viewer


class SiteHeader:
    """Counted on first use, so a page that never shows them (an error page, a JSON fragment)
    runs no query; both counts are one query, and only for a signed-in reader."""

    @cached_property
    def _user(self) -> Any:
        user = viewer()
        return user if user.is_authenticated else None

    @cached_property
    def _counts(self) -> moderation.HeaderCounts:
        if not self._user:
            return moderation.HeaderCounts()
        # A page that read them already with its own statement (the article page's personal
        # layer) left them here.
        return g.get(PRESET) or moderation.header_counts(self._user)

    @property
    def unread(self) -> int:
        return self._counts.unread

    @property
    def queues(self) -> dict[str | None, int]:
        """Waiting items by group slug (None: the public queue, for admins)."""
        return self._counts.queues

    @property
    def waiting(self) -> int:
        return sum(self.queues.values())

    @property
    def queue_url(self) -> str:
        """The one queue with work in it, or the groups page that lists them all."""
        if len(self.queues) == 1:
            return queue_url(next(iter(self.queues)))
        return url_for("web.groups") + "#queues"


PRESET = "_cp_header_counts"


def preset(counts: moderation.HeaderCounts | None) -> None:
    """The header's counts, read by the page with its own statement."""
    if counts is not None:
        g.setdefault(PRESET, counts)


def queue_url(slug: str | None) -> str:
    if slug is None:
        return url_for("web.public_queue")
    return url_for("web.moderation_queue", slug=slug)


@bp.app_context_processor
def _header() -> dict[str, Any]:
    return {"header": SiteHeader()}
