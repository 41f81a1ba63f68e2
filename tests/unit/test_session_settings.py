"""Session lifetimes are settings (issue 14.3): 8 hours idle and 30 days remembered by default,
and a value the app cannot use stops it at start-up with a message naming it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from app.config import ConfigError, load_settings

INSTANCE = Path("/tmp/counterpoint-instance")  # noqa: S108 - never written by these tests


def _flask(**env: str) -> dict[str, object]:
    return load_settings({"COUNTERPOINT_ENV": "development", **env}, INSTANCE).flask_config()


def test_sessions_end_after_eight_idle_hours_and_remember_me_after_thirty_days() -> None:
    config = _flask()
    assert config["SESSION_IDLE_TIMEOUT"] == timedelta(hours=8)
    assert config["REMEMBER_COOKIE_DURATION"] == timedelta(days=30)


def test_both_lifetimes_are_configurable() -> None:
    config = _flask(SESSION_IDLE_MINUTES="30", REMEMBER_DAYS="7")
    assert config["SESSION_IDLE_TIMEOUT"] == timedelta(minutes=30)
    assert config["REMEMBER_COOKIE_DURATION"] == timedelta(days=7)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SESSION_IDLE_MINUTES", "eight hours"),
        ("SESSION_IDLE_MINUTES", "1"),
        ("SESSION_IDLE_MINUTES", "100000"),
        ("REMEMBER_DAYS", "0"),
        ("REMEMBER_DAYS", "366"),
    ],
)
def test_unusable_lifetimes_fail_at_start_up_naming_the_setting(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        _flask(**{name: value})
