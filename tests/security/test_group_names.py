"""A group's name is stored as meant and comes back unchanged, through the API and the pages.

Before, names were passed through str.split(), which takes every Unicode space for a word
break: a name written with an Ogham space mark (U+1680) or an ideographic space came back
with an ASCII space, and two different names became one.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

OGHAM = "\u1680"


@pytest.mark.parametrize(
    "name",
    [
        f"᚛ᚑᚌᚐᚋ{OGHAM}ᚄᚓᚅᚇ᚜",  # Ogham words are separated by U+1680
        f"Ogham{OGHAM}{OGHAM}two",
        "東京\u3000読書会",  # an ideographic space
        "Café\u00a0Philo",  # a no-break space, which browsers keep
    ],
)
def test_a_name_with_other_spaces_comes_back_as_written(
    client: FlaskClient, make, bearer, signed_in, name: str
) -> None:
    teacher = make.user(role="instructor")
    created = client.post("/api/v1/groups", json={"name": name}, headers=bearer(teacher))
    assert created.status_code == 201
    assert created.get_json()["name"] == name
    slug = created.get_json()["slug"]
    shown = client.get(f"/api/v1/groups/{slug}", headers=bearer(teacher)).get_json()
    assert shown["name"] == name
    page = signed_in(teacher).get(f"/groups/{slug}").get_data(as_text=True)
    assert name in page  # (page.text would collapse the spaces itself)


def test_two_names_differing_in_ogham_spaces_stay_two(client: FlaskClient, make, bearer) -> None:
    auth = bearer(make.user(role="instructor"))
    names = [f"A{OGHAM}B", f"A{OGHAM}{OGHAM}B"]
    made = [client.post("/api/v1/groups", json={"name": n}, headers=auth).get_json()["name"]
            for n in names]  # fmt: skip
    assert made == names


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("  Politics 101  ", "Politics 101"),
        ("Politics\t\n 101", "Politics 101"),  # what HTML would collapse anyway
        (f"{OGHAM}Politics{OGHAM}", "Politics"),  # ends trimmed of any space
    ],
)
def test_ordinary_white_space_is_tidied_the_same_way_everywhere(
    client: FlaskClient, make, bearer, sent: str, stored: str
) -> None:
    auth = bearer(make.user(role="instructor"))
    created = client.post("/api/v1/groups", json={"name": sent}, headers=auth).get_json()
    assert created["name"] == stored
    renamed = client.patch(f"/api/v1/groups/{created['slug']}", json={"name": sent}, headers=auth)
    assert renamed.status_code == 200
    assert renamed.get_json()["name"] == stored


def test_a_name_of_spaces_alone_is_refused(client: FlaskClient, make, bearer) -> None:
    auth = bearer(make.user(role="instructor"))
    answer = client.post("/api/v1/groups", json={"name": f" {OGHAM}\u3000 "}, headers=auth)
    assert answer.status_code == 422
    assert "name" in answer.get_json()["error"]["fields"]
