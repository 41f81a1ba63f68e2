"""Fixtures shared by the service unit tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def klass(make: Any) -> tuple[Any, ...]:
    """A class: its instructor, two members, a reading, the group, and a member's group note."""
    teacher = make.user("teacher", role="instructor")
    student = make.user("student")
    peer = make.user("peer")
    article = make.article()
    group = make.groups.group(teacher, "Class", articles=(article,))
    make.groups.join(student, group)
    make.groups.join(peer, group)
    note = make.groups.group_note(student, article, group, body="a bold claim")
    return teacher, student, peer, article, group, note
