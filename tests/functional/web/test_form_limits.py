"""The pages' inputs state the limits the services enforce, from the services' constants."""

from __future__ import annotations

from app.services.groups import MAX_HELD_POSTS
from app.services.moderation import MAX_REASON, MAX_SUSPENSION
from tests.functional.web.page import parse


def test_a_managers_group_page_states_the_services_limits(signed_in, make) -> None:
    teacher = make.user("teacher", role="instructor")
    group = make.groups.group(teacher, "Class")
    make.groups.join(make.user("student"), group)
    page = parse(signed_in(teacher).get(f"/groups/{group.slug}").data)
    reasons = page.find_all("input", name="reason")
    assert reasons
    assert {r.attrs["maxlength"] for r in reasons} == {str(MAX_REASON)}
    assert page.find("input", name="days").attrs["max"] == str(MAX_SUSPENSION.days)
    assert page.find("input", name="posts").attrs["max"] == str(MAX_HELD_POSTS)
