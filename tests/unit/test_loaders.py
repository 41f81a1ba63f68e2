"""The one loader module: what a URL names is found or a 404, and NUL never reaches a query."""

from __future__ import annotations

import pytest

from app.loaders import has_nul, load_article, load_article_with_block, load_group, load_user
from app.services.errors import NotFound


def test_the_nul_rule() -> None:
    assert has_nul("a\x00b")
    assert has_nul("fine", "\x00")
    assert not has_nul("fine", "", "naïve ․ text")


@pytest.mark.parametrize(
    "load",
    [
        load_article,
        load_group,
        load_user,
        lambda name: load_article_with_block(name, "p1"),
    ],
)
def test_a_name_holding_nul_is_not_found_without_a_query(load, make, count_queries) -> None:
    with count_queries() as queries, pytest.raises(NotFound):
        load("bad\x00name")
    assert len(queries) == 0


def test_a_user_is_loaded_by_name_or_not_found(make) -> None:
    assert load_user(make.user("someone").username).username == "someone"
    with pytest.raises(NotFound):
        load_user("nobody")
