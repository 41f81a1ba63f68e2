"""Statements built once per shape, run with each request's values.

Building a SQLAlchemy statement out of the permission filters costs more than running it: the
personal layer of a reading page took ~3 ms to build and 0.2 ms to run. Its statement depends
on the reader only through their id (a value) and their site role (a shape), so it is built
once per role, against stand-ins whose ids are bound parameters, and then run with the
reader's values. The stand-ins are never added to a session.

The constants such a statement holds (a visibility, a status, a zero) are written into its SQL
rather than sent as parameters: on PostgreSQL a statement run often is prepared, and only with
its constants in the text may the planner keep one plan for it and use the partial indexes
those constants select. With them sent as parameters it planned the personal union anew on
every page (1.3 ms of the database's CPU; pg_prepared_statements showed 0 generic plans).

This is the one fast path for it; tests/unit/test_shapes.py checks that a statement built
here finds exactly what the same statement built for the real reader finds.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any, TypeVar

from sqlalchemy import Integer, bindparam
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter

from app.models import Article, Group, User

READER, ARTICLE, GROUP = "cp_reader", "cp_article", "cp_group"

T = TypeVar("T")


def reader_like(role: str) -> User:
    """A user of this role whose id, in a statement, is the READER parameter."""
    return User(id=bindparam(READER, type_=Integer), role=role)


def article_like() -> Article:
    return Article(id=bindparam(ARTICLE, type_=Integer))


def group_like() -> Group:
    return Group(id=bindparam(GROUP, type_=Integer))


def values(user: User, article: Article | None = None, group: Group | None = None) -> dict:
    """The values to run a shaped statement with."""
    found: dict[str, Any] = {READER: user.id}
    if article is not None:
        found[ARTICLE] = article.id
    if group is not None:
        found[GROUP] = group.id
    return found


def once_per_shape(build: Callable[..., T]) -> Callable[..., T]:
    """`build(*shape)` is called once per distinct shape (hashable arguments), and the
    statement it returns has its constants written in (`with_constants_inline`)."""

    @lru_cache(maxsize=32)
    @wraps(build)
    def built(*shape: Any) -> T:
        return with_constants_inline(build(*shape))

    return built


def with_constants_inline(statement: T) -> T:
    """The statement with every parameter that holds a value rendered into its SQL text; the
    parameters left are those given on each run (the stand-ins' ids, a lookup's values)."""

    def inline(element: Any) -> Any:
        if isinstance(element, BindParameter) and not element.required:
            constant = element._clone()
            constant.literal_execute = True
            return constant
        return None

    return visitors.replacement_traverse(statement, {}, inline)  # type: ignore[arg-type]
