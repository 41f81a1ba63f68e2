"""Look-alike names (issue 14.2): invisible and direction-changing characters are refused,
compatibility forms normalised (NFKC), and mixed-script confusables of a name in use refused."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from app.services.errors import ValidationFailed
from app.services.groups import create_group, rename_group
from app.services.names import is_lookalike, normalise_name, skeleton
from app.services.own_data import change_display_name
from app.services.users import create_user
from tests.factories import PASSWORD

CYRILLIC_A = "\u0430"


@pytest.mark.parametrize(
    ("char", "named"),
    [
        ("\u202a", "LEFT-TO-RIGHT EMBEDDING"),
        ("\u202b", "RIGHT-TO-LEFT EMBEDDING"),
        ("\u202c", "POP DIRECTIONAL FORMATTING"),
        ("\u202d", "LEFT-TO-RIGHT OVERRIDE"),
        ("\u202e", "RIGHT-TO-LEFT OVERRIDE"),
        ("\u2066", "LEFT-TO-RIGHT ISOLATE"),
        ("\u2067", "RIGHT-TO-LEFT ISOLATE"),
        ("\u2068", "FIRST STRONG ISOLATE"),
        ("\u2069", "POP DIRECTIONAL ISOLATE"),
        ("\u200b", "ZERO WIDTH SPACE"),
        ("\u200c", "ZERO WIDTH NON-JOINER"),
        ("\u200d", "ZERO WIDTH JOINER"),
        ("\u2060", "WORD JOINER"),
        ("\ufeff", "ZERO WIDTH NO-BREAK SPACE"),
        ("\u00ad", "SOFT HYPHEN"),
        ("\u3164", "FILLER"),  # NFKC makes it U+1160, blank too
        ("\u0007", "U+0007"),
    ],
)
def test_invisible_and_direction_characters_are_refused_by_name(char: str, named: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        normalise_name(f"Ad{char}a", "display_name")
    assert named in refused.value.fields["display_name"]


def test_compatibility_forms_are_normalised_and_emoji_sequences_kept() -> None:
    assert normalise_name("\uff21\uff44\uff41", "name") == "Ada"  # full-width letters
    assert normalise_name("\U0001d400da", "name") == "Ada"  # mathematical bold A
    family = "\U0001f469\u200d\U0001f469\u200d\U0001f467"
    assert normalise_name(f"The {family}s", "name") == f"The {family}s"


def test_skeletons_see_through_scripts_and_case() -> None:
    assert skeleton(f"{CYRILLIC_A}da") == skeleton("Ada")
    assert is_lookalike(f"{CYRILLIC_A}da", "Ada")  # mixed Cyrillic and Latin
    assert is_lookalike("\u0410\u0441\u0435", "Ace")  # whole-script Cyrillic
    assert is_lookalike("Ms Te\u0430cher", "Ms Teacher")
    assert not is_lookalike("ada", "Ada")  # one script: a plain name, not a disguise
    assert not is_lookalike("Ada", "Ada")  # namesakes are allowed
    assert not is_lookalike("José", "Jose")


def test_a_display_name_that_mimics_anothers_is_refused(make) -> None:
    make.user("teacher", display_name="Ms Teacher")
    with pytest.raises(ValidationFailed) as refused:
        create_user("mimic", PASSWORD, display_name=f"Ms Te{CYRILLIC_A}cher")
    message = refused.value.fields["display_name"]
    assert "looks the same as the display name “Ms Teacher”" in message
    assert create_user("namesake", PASSWORD, display_name="Ms Teacher").display_name == "Ms Teacher"


def test_a_group_name_that_mimics_another_groups_is_refused_on_create_and_rename(make) -> None:
    teacher = make.user("teacher", role="instructor")
    create_group(teacher, "Philosophy 101")
    other = create_group(teacher, "Ethics")
    with pytest.raises(ValidationFailed) as refused:
        create_group(teacher, "Philos\u043ephy 101")
    assert "looks the same as the group name “Philosophy 101”" in refused.value.fields["name"]
    with pytest.raises(ValidationFailed):
        rename_group(teacher, other, "Philos\u043ephy 101")
    with pytest.raises(ValidationFailed) as invisible:
        rename_group(teacher, other, "Ethics\u202e")
    assert "RIGHT-TO-LEFT OVERRIDE" in invisible.value.fields["name"]
    assert rename_group(teacher, other, "Ethics II").name == "Ethics II"


def test_the_register_page_explains_a_look_alike(client: FlaskClient, make) -> None:
    make.user("ada", display_name="Ada")
    response = client.post(
        "/register",
        data={"username": "mimic", "display_name": f"{CYRILLIC_A}da".upper(),
              "email": "mimic@example.edu", "password": PASSWORD, "confirm": PASSWORD},
    )  # fmt: skip
    assert response.status_code == 422
    assert "reads differently" in response.get_data(as_text=True)


OGHAM = "\u1680"


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("  Ada   Lovelace  ", "Ada Lovelace"),
        (f"Ada{OGHAM}{OGHAM}Lovelace", f"Ada{OGHAM}{OGHAM}Lovelace"),  # other spaces as written
        ("\uff21da\u3000Lovelace", "Ada\u3000Lovelace"),  # NFKC, but not of the space
    ],
)
def test_every_name_is_tidied_by_the_one_rule(make, sent: str, stored: str) -> None:
    assert normalise_name(sent, "name") == stored
    assert create_user("ada", PASSWORD, display_name=sent).display_name == stored
    assert change_display_name(make.user("bea"), sent).display_name == stored
    teacher = make.user("teacher", role="instructor")
    assert create_group(teacher, sent).name == stored
    assert rename_group(teacher, create_group(teacher, "Other"), sent).name == stored


def test_line_breaks_fold_in_a_group_name_and_are_refused_in_a_display_name(make) -> None:
    teacher = make.user("teacher", role="instructor")
    assert create_group(teacher, "Politics\t\r\n 101").name == "Politics 101"
    for refused_in in (
        lambda: create_user("ada", PASSWORD, display_name="Ada\r\nLovelace"),
        lambda: change_display_name(teacher, "Ada\tLovelace"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            refused_in()
        assert "U+000" in refused.value.fields["display_name"]


def test_a_blank_display_name_is_the_username(make) -> None:
    assert create_user("ada", PASSWORD, display_name=" \t ").display_name == "ada"


def test_a_group_name_is_measured_once_normalised(make) -> None:
    # U+FDFA is one character that NFKC writes as eighteen: the stored name must still fit.
    teacher = make.user("teacher", role="instructor")
    with pytest.raises(ValidationFailed) as refused:
        create_group(teacher, "\ufdfa" * 7)
    assert "120" in refused.value.fields["name"]
