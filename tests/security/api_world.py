"""The world the schemathesis run works in: who calls, and real values for its parameters.

Generated ids and slugs name nothing, so without help every operation on an annotation, a
group or a member would stop at its 404. Here a small class is built through the services
(an article and a reading group both called "essay", notes public, private and for the group,
a flagged note, a hidden one, feedback, members), and each parameter the document names gets
the real values schemathesis should draw, most of the time, instead of inventing one
(`PARAMETERS`: a binding key of schemathesis' `parameters` config → a function of the world).

The run is repeated for each caller in `CALLERS` (the instructor who runs the groups, a member
with restrictions, an admin), each in a fresh world, so every operation is reached both by
someone who may use it and by someone who may not (its 403 and 404 paths).

To cover a new operation: if its parameters are called like existing ones (`slug`,
`annotation_id`, `username`, `article`, body fields `anchor`, `parent`, `group`...), there is
nothing to do. Otherwise add what it needs to `build_api_world` (a row, through the services)
and a line to `PARAMETERS` naming the parameter ("path.<name>", "query.<name>" or
"body.<field>") and the values it should take; or, for one operation only, to
`OPERATION_PARAMETERS` under its operationId (dictionaries hold only strings and numbers: a
body field that needs an object or a list, such as a document to import, takes one fixed value
from `OPERATION_BODIES`). An operation that only an admin (or only some new kind of caller)
may use needs that caller in `CALLERS`; one that ends the caller's own access (revokes its
token, closes its account) goes in `THROWAWAY`. The test fails, naming the operation, when one
never succeeds (in its own method: OPTIONS' 200 does not count) or never answers its
documented 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Annotation, Article, Group, User
from app.services import articles, feedback, groups, moderation, webanno
from app.services.annotations import NewAnnotation, post_annotation
from tests.factories import PASSWORD, SAMPLE_BLOCKS, Factories

# The callers, each in a run of their own: username in the world → why it is there.
CALLERS = {
    "teach": "instructor of the groups: reaches what instructors may do",
    "benched": "a member, suspended in one group and removed from another: the instructors' "
    "operations, posting to that group and rejoining the other answer 403",
    "admin": "a site admin: reaches the admin-only operations",
}


@dataclass
class ApiWorld:
    """Everything the run may name, made through the services and committed."""

    article: Article
    group: Group  # "essay": where the discussion is
    spare: Group  # what callers leave, so that they stay in "essay"
    closed: Group  # "benched" was removed from it: their rejoining is a 403
    users: dict[str, User]
    notes: dict[str, Annotation]
    extra: dict[str, list[Any]] = field(default_factory=dict)  # for new operations' values

    def note_ids(self) -> list[int]:
        return [note.id for note in self.notes.values()]


def build_api_world(make: type[Factories]) -> ApiWorld:
    users = {
        "teach": make.user("teach", role="instructor"),
        "pupil": make.user("pupil"),
        "pupil2": make.user("pupil2"),
        "admin": make.user("admin", role="admin"),
        "outsider": make.user("outsider"),
        "benched": make.user("benched"),  # a suspended member: lifting it can succeed
    }
    # The instructor owns the article: revisions and the health report are theirs to see.
    article = make.article(slug="essay", owner_id=users["teach"].id)
    # The group's slug is the article's: /groups/{slug} and /articles/{slug} both find one.
    group = make.groups.group(users["teach"], "Essay", (article,))
    spare = make.groups.group(users["teach"], "Spare", (article,))
    closed = make.groups.group(users["teach"], "Closed", (article,))
    for name in ("pupil", "pupil2", "benched"):
        make.groups.join(users[name], group)
    for name in ("pupil", "benched", "admin"):
        make.groups.join(users[name], spare)
    make.groups.join(users["benched"], closed)
    groups.remove_member(users["teach"], closed, "benched", "Wrong class.")
    notes = {
        "public": make.annotation(users["pupil"], article, body="A public thought."),
        "teacher's": make.annotation(users["teach"], article, body="The instructor's own."),
        "admin's": make.annotation(users["admin"], article, body="The admin's own."),
        "outsider's": make.annotation(users["outsider"], article, body="An outsider's."),
        "group": make.groups.group_note(users["pupil"], article, group, body="For the group."),
        "hidden": make.groups.group_note(users["pupil2"], article, group, body="Soon hidden."),
        "private": _private(users["pupil"], article),
    }
    notes["reply"] = make.annotation(users["teach"], article, body="Yes.", parent=notes["public"])
    notes["orphan"] = make.annotation(users["pupil"], article, anchor="p4", body="All is well?")
    feedback.give_feedback(users["teach"], notes["group"], "Good point; cite the source.")
    moderation.flag_annotation(users["pupil2"], notes["group"], "other", "Please check.")
    moderation.moderate_annotation(users["teach"], notes["hidden"], "hide", "Off-topic.")
    until = datetime.now(UTC) + timedelta(days=7)
    moderation.suspend_member(users["teach"], group, users["benched"], until, "Cooling off.")
    groups.rename_group(users["teach"], group, "Essay seminar")  # the slug stays "essay"
    # A second revision without the last paragraph: its note is orphaned (re-attach, health).
    articles.revise_article(users["teach"], article, articles.read_source(REVISED, "md"))
    db.session.commit()
    # What an import may bring: the public notes, as exported (another site's, by their IRIs).
    site = webanno.Site("https://elsewhere.example/")
    exported = db.session.scalars(
        select(Annotation)
        .where(Annotation.id.in_([notes["public"].id, notes["reply"].id]))
        .options(joinedload("*"))
        .order_by(Annotation.id)
    ).unique()
    jsonld = [webanno.annotation_ld(note, site) for note in exported]
    return ApiWorld(article, group, spare, closed, users, notes, {"jsonld": jsonld})


# The article's text in Markdown (tests.factories.SAMPLE_BLOCKS), and less its last paragraph.
ORIGINAL = "\n\n".join([f"## {SAMPLE_BLOCKS[0][1]}", *(text for _, text in SAMPLE_BLOCKS[1:])])
REVISED = ORIGINAL.rsplit("\n\n", 1)[0]


def _private(author: User, article: Article) -> Annotation:
    new = NewAnnotation(anchor="p2", kind="comment", body="A private note.", private=True)
    note = post_annotation(author, article, new)
    db.session.commit()
    return note


# schemathesis `parameters` binding → the values to draw from, given the world. Bindings by
# bare name apply wherever the name appears; "path."/"query."/"body." narrow the location.
PARAMETERS: dict[str, Callable[[ApiWorld], list[Any]]] = {
    "path.annotation_id": ApiWorld.note_ids,
    "path.slug": lambda w: [w.article.slug],  # the article and the group alike
    "path.article": lambda w: [w.article.slug],
    "path.username": lambda w: ["pupil", "pupil2", "benched", "teach"],
    "query.anchor": lambda w: ["p2", "p3"],
    "query.author": lambda w: ["pupil", "teach"],
    "query.group": lambda w: [w.group.slug],
    "body.anchor": lambda w: ["p2", "p3"],
    "body.parent": ApiWorld.note_ids,
    "body.group": lambda w: [w.group.slug],
    "body.article": lambda w: [w.article.slug],
    "body.join_code": lambda w: [w.group.join_code, w.closed.join_code],
    # A text to add as an article, or as the next revision (it brings the lost paragraph back).
    "body.source": lambda w: [ORIGINAL, ORIGINAL + "\n\nA fourth paragraph, added later."],
    "body.markup": lambda w: ["md"],
}
# operationId → bindings for that operation alone (they win over PARAMETERS).
OPERATION_PARAMETERS: dict[str, dict[str, Callable[[ApiWorld], list[Any]]]] = {
    # Leaving "essay" would turn the rest of the run into 404s: leave the spare group.
    "groups_leave_group": {"path.slug": lambda w: [w.spare.slug]},
    # Closing one's account asks for its password (the THROWAWAY account has the usual one).
    "me_delete_me": {"body.password": lambda w: [PASSWORD]},
    # New articles need slugs nobody has (each can be taken once).
    "readings_add_article": {"body.slug": lambda w: [f"added-{n}" for n in range(40)]},
    # Moderating: the group's notes, which its instructor moderates (one flagged, one hidden).
    "moderation_moderate_annotation": {
        "path.annotation_id": lambda w: [w.notes["group"].id, w.notes["hidden"].id]
    },
    # Re-admitting: the member removed from "closed".
    "groups_restore_member": {
        "path.slug": lambda w: [w.closed.slug],
        "path.username": lambda w: ["benched"],
    },
    # Re-attaching: the orphan most of the time, to a block of the current text.
    "readings_reattach_annotation": {"path.annotation_id": lambda w: [w.notes["orphan"].id]},
}
# operationId → body fields that always take this one value (dictionaries hold only scalars):
# importing needs a whole document, a page of Web Annotations as GET …/annotations.jsonld
# writes them (the path and query still vary, for its 403/404/422 paths).
OPERATION_BODIES: dict[str, dict[str, Callable[[ApiWorld], Any]]] = {
    "insight_import_jsonld": {
        "body.type": lambda w: "AnnotationPage",
        "body.items": lambda w: w.extra["jsonld"],
    },
}
# Operations that end the access they are sent with: each request gets fresh credentials,
# "token" (another token of the caller) or "account" (a new account of the caller's role, for
# an operation that closes its own account), so that the rest of the run keeps its caller.
THROWAWAY: dict[tuple[str, str], str] = {
    ("DELETE", "/tokens"): "token",
    ("DELETE", "/me"): "account",
}
# operationId → how many times the usual number of examples it gets: an operation whose
# interesting answers need several fields right at once (a suspended member's post to the
# group: a real anchor, the group, no parent) gets more tries.
OPERATION_EXAMPLES = {
    "annotations_post_annotation": 4,
    # An action that fits the note's state (hide a visible one, unhide the hidden one...).
    "moderation_moderate_annotation": 3,
    # Exactly one of `until` (within a year) or `days`, for a member not yet suspended.
    "moderation_suspend_member": 3,
}
# How often a bound parameter takes a real value; the rest stay generated (unknown ids, bad
# slugs), so the 404 and 422 paths are exercised too.
REAL_VALUE_PROBABILITY = 0.8


def parameter_config(world: ApiWorld, examples: int) -> dict[str, Any]:
    """The `dictionaries`, `parameters` and per-operation sections of a schemathesis config."""
    dictionaries: dict[str, Any] = {}

    def bind(bindings: dict[str, Callable[[ApiWorld], list[Any]]], scope: str) -> dict[str, Any]:
        parameters = {}
        for key, values in bindings.items():
            name = f"{scope}-{key}".replace(".", "-")
            dictionaries[name] = {"values": values(world)}
            parameters[key] = {"dictionary": name, "probability": REAL_VALUE_PROBABILITY}
        return parameters

    parameters = bind(PARAMETERS, "all")
    operations = (
        [
            {"include-operation-id": operation_id, "parameters": bind(bindings, operation_id)}
            for operation_id, bindings in OPERATION_PARAMETERS.items()
        ]
        + [
            {
                "include-operation-id": operation_id,
                "parameters": {key: value(world) for key, value in fields.items()},
            }
            for operation_id, fields in OPERATION_BODIES.items()
        ]
        + [
            {"include-operation-id": operation_id, "generation": {"max-examples": examples * times}}
            for operation_id, times in OPERATION_EXAMPLES.items()
        ]
    )
    return {"dictionaries": dictionaries, "parameters": parameters, "operations": operations}
