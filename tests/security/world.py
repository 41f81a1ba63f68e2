"""A small class with secrets to keep: a private note, a group's discussion, feedback, flags.

Each secret carries a marker word, so a test can tell whether it leaked into a response.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.extensions import db
from app.models import Annotation, Article, Group, User
from app.services import feedback, groups, moderation
from app.services.annotations import NewAnnotation, post_annotation
from tests.factories import Factories
from tests.security.routes import Values

SECRETS = {
    "private note": "zqprivatebody",
    "private reply": "zqprivatereply",
    "group note": "zqgroupbody",
    "group name": "zqgroupname",
    "feedback": "zqfeedbackbody",
    "flag details": "zqflagdetails",
    "moderation reason": "zqmodreason",
}


@dataclass
class World:
    article: Article
    group: Group
    rival_group: Group
    victim: User  # writes the private note; in no group
    teach: User  # the group's instructor
    pupil: User  # a member who writes to the group
    pupil2: User  # a member who flags
    outsider: User  # signed in, in no group
    rival: User  # an instructor of another group
    admin: User
    public_note: Annotation
    private_note: Annotation
    private_reply: Annotation
    group_note: Annotation
    hidden_note: Annotation

    def user(self, name: str) -> User:
        return getattr(self, name)  # type: ignore[no-any-return]

    def values(self, **overrides: Any) -> Values:
        """URL values by kind (see tests.security.routes.argument_kind)."""
        return Values(
            {
                "article": self.article.slug,
                "group": self.group.slug,
                "anchor": "p2",
                "annotation": self.public_note.id,
                "user": self.pupil.username,
                "join_code": self.group.join_code,
                "static": "css/site.css",
                "link_token": "forged.link-token",
                **overrides,
            }
        )


def build_world(make: type[Factories]) -> World:
    """Everyone and everything, made through the services and committed."""
    article = make.article(slug="essay")
    victim, outsider = make.user("victim"), make.user("outsider")
    teach, rival = make.user("teach", role="instructor"), make.user("rival", role="instructor")
    pupil, pupil2 = make.user("pupil"), make.user("pupil2")
    admin = make.user("admin", role="admin")
    group = make.groups.group(teach, "Seminar", (article,))
    # Renamed: the slug stays "seminar", so the secret is in the name alone, not in URLs.
    groups.rename_group(teach, group, f"Seminar {SECRETS['group name']}")
    rival_group = make.groups.group(rival, "Rival class", (article,))
    make.groups.join(pupil, group)
    make.groups.join(pupil2, group)
    public_note = make.annotation(victim, article, body="A public thought.")
    private_note = _note(victim, article, SECRETS["private note"], private=True)
    private_reply = _note(victim, article, SECRETS["private reply"], parent=private_note)
    group_note = make.groups.group_note(pupil, article, group, body=SECRETS["group note"])
    hidden_note = make.groups.group_note(pupil, article, group, body="Soon hidden.")
    feedback.give_feedback(teach, group_note, SECRETS["feedback"])
    moderation.flag_annotation(pupil2, group_note, "other", SECRETS["flag details"])
    moderation.moderate_annotation(teach, hidden_note, "hide", SECRETS["moderation reason"])
    make.annotation(outsider, article, body="A reply.", parent=public_note)  # notifies victim
    db.session.commit()
    return World(
        article, group, rival_group, victim, teach, pupil, pupil2, outsider, rival, admin,
        public_note, private_note, private_reply, group_note, hidden_note,
    )  # fmt: skip


def _note(
    author: User,
    article: Article,
    body: str,
    private: bool = False,
    parent: Annotation | None = None,
) -> Annotation:
    note = post_annotation(
        author,
        article,
        NewAnnotation(
            anchor="p2",
            kind="comment",
            body=body,
            parent_id=parent.id if parent else None,
            private=private,
        ),
    )
    db.session.commit()
    return note
