"""A reading group to test against: an instructor, two students, an outsider, a shared article."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.models import Annotation, Article, Group, User
from tests.factories import Factories
from tests.functional.api.conftest import API, Headers


@dataclass
class Classroom:
    """`teacher` runs `group`, which reads `article`; `student` and `peer` are members,
    `outsider` is not. `note` is the student's group annotation. `as_(user)` gives headers
    with a token for `user` (one per user per test)."""

    client: FlaskClient
    bearer: Callable[[User], Headers]
    teacher: User
    student: User
    peer: User
    outsider: User
    article: Article
    group: Group
    note: Annotation
    _tokens: dict[int, Headers] = field(default_factory=dict)

    def as_(self, user: User) -> Headers:
        if user.id not in self._tokens:
            self._tokens[user.id] = self.bearer(user)
        return self._tokens[user.id]

    def get(self, path: str, user: User | None = None) -> TestResponse:
        return self.client.get(f"{API}{path}", headers=self.as_(user) if user else {})

    def post(self, path: str, user: User | None, json: Any = None) -> TestResponse:
        headers = self.as_(user) if user else {}
        return self.client.post(f"{API}{path}", json=json, headers=headers)

    def patch(self, path: str, user: User | None, json: Any = None) -> TestResponse:
        headers = self.as_(user) if user else {}
        return self.client.patch(f"{API}{path}", json=json, headers=headers)

    def delete(self, path: str, user: User | None, json: Any = None) -> TestResponse:
        headers = self.as_(user) if user else {}
        return self.client.delete(f"{API}{path}", json=json, headers=headers)

    def post_note(self, user: User, body: str = "A group thought.", **extra: Any) -> TestResponse:
        """POST an annotation on p2 of the article, to the group unless `extra` says otherwise."""
        data = {"anchor": "p2", "kind": "comment", "body": body, "group": self.group.slug}
        data.update(extra)
        return self.post(f"/articles/{self.article.slug}/annotations", user, data)


def build_classroom(
    make: type[Factories], client: FlaskClient, bearer: Callable[[User], Headers]
) -> Classroom:
    teacher = make.user("teacher", role="instructor", display_name="Ms. Teacher")
    student = make.user("student", display_name="Stu Dent")
    peer = make.user("peer")
    outsider = make.user("outsider")
    article = make.article(slug="essay")
    group = make.groups.group(teacher, "Seminar Alpha", articles=(article,))
    make.groups.join(student, group)
    make.groups.join(peer, group)
    note = make.groups.group_note(student, article, group, body="A bold claim for the group.")
    return Classroom(client, bearer, teacher, student, peer, outsider, article, group, note)


def error(response: TestResponse) -> dict[str, Any]:
    """The `error` object of a JSON error response."""
    body = response.get_json()
    assert body is not None, response.get_data(as_text=True)[:300]
    assert "error" in body, body
    return body["error"]
