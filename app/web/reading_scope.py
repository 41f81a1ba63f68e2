"""What every reading page asks of its request: which discussion it shows (public or a group's),
in which order, which discussions the reader may switch to, and where a note is shown.

Shared by the article, paragraph, notes, overview, insight and moderation pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import request, url_for

from app.loaders import load_group
from app.models import Annotation, Article, Group
from app.services import groups, reading
from app.services.personal import GroupChoice
from app.web.blueprint import viewer
from app.web.present import Switcher


def selected_group() -> Group | None:
    """The group whose discussion the page shows: `?group=<slug>`, or the `group` field of a
    posted form; None for the public discussion. A group the viewer is not in is NotFound."""
    slug = (request.args.get("group") or request.form.get("group") or "").strip()
    return load_group(slug) if slug else None


def discussion_scope(group: Group | None) -> Any:
    """One discussion at a time: the group's, or the public one with the reader's own notes."""
    return reading.in_scope(group)


def requested_sort() -> reading.Sort | None:
    """`?sort=`; anything unknown is the default order (pinned, then oldest first)."""
    raw = request.args.get("sort", "")
    return reading.Sort(raw) if raw in set(reading.Sort) else None


def switcher(
    article: Article,
    group: Group | None,
    endpoint: str,
    choices: Sequence[Group | GroupChoice] | None = None,
    **args: str,
) -> Switcher | None:
    """The discussions the reader may switch between on this article (None: public only).
    `choices`: the reader's groups reading it, when already read (the personal layer)."""
    user = viewer()
    if not user.is_authenticated:
        return None
    found = list(groups.groups_reading(user, article) if choices is None else choices)
    if group is not None and all(g.id != group.id for g in found):
        found.append(group)  # a group note's link still opens after the reading is taken off
    return Switcher(endpoint, args, group, found) if found else None


def note_url(slug: str, anchor: str, annotation_id: int, group: Group | None = None) -> str:
    """The paragraph page, in the annotation's discussion, scrolled to the annotation."""
    scope = {"group": group.slug} if group is not None else {}
    return url_for("web.block", slug=slug, anchor=anchor, **scope) + f"#a-{annotation_id}"


def in_context(note: Annotation) -> str:
    """Where an annotation (loaded with its article, block and group) is shown."""
    if note.orphaned:  # its words are gone: it is listed at the article's end
        return url_for("web.article", slug=note.article.slug) + f"#a-{note.id}"
    group = note.group if note.group_id is not None else None
    return note_url(note.article.slug, note.block.anchor, note.id, group)
