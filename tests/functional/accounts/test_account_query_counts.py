"""The people pages run as many SQL statements for 3 accounts (or entries) as for 60."""

from __future__ import annotations

from app.extensions import db
from app.services import people
from tests.factories import login


def _statements(app, count_queries, path: str) -> int:  # type: ignore[no-untyped-def]
    client = app.test_client()
    login(client, "boss")
    client.get(path)  # warm: the first request compiles and caches
    with count_queries() as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_the_people_page_the_audit_log_and_a_members_page_do_not_grow_with_data(
    app, make, count_queries
) -> None:
    boss = make.user("boss", role="admin")
    article = make.article()
    for n in range(3):
        user = make.user(f"member{n}")
        make.annotation(user, article, body=f"Note {n}")
        people.set_role(boss, user, "instructor")
    db.session.commit()
    paths = ("/admin/people", "/admin/audit", "/people/member0", "/account/mail")
    few = {path: _statements(app, count_queries, path) for path in paths}
    for n in range(3, 60):
        user = make.user(f"member{n}")
        make.annotation(user, article, body=f"Note {n}")
        people.set_role(boss, user, "instructor")
    first = people.get_person("member0")
    for n in range(40):
        make.annotation(first, article, body=f"Again {n}")
    db.session.commit()
    many = {path: _statements(app, count_queries, path) for path in paths}
    assert many == few
    assert max(few.values()) <= 8, few
