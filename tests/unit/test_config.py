"""Settings come from the environment, and bad values stop the app with a clear reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import ConfigError, load_settings

INSTANCE = Path("instance-for-tests")  # never created: settings only build paths


def test_production_refuses_to_start_without_a_secret_key() -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        load_settings({"COUNTERPOINT_ENV": "production"}, INSTANCE)


def test_production_refuses_a_short_secret_key() -> None:
    with pytest.raises(ConfigError, match="too weak"):
        load_settings({"COUNTERPOINT_ENV": "production", "SECRET_KEY": "short"}, INSTANCE)


def test_development_has_a_default_secret_and_a_sqlite_file_in_the_instance_folder() -> None:
    settings = load_settings({"COUNTERPOINT_ENV": "development"}, INSTANCE)
    assert settings.database_url == f"sqlite:///{INSTANCE / 'counterpoint.sqlite3'}"
    assert settings.secret_key


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("RATE_LIMITS", "maybe", "RATE_LIMITS must be"),
        ("DATABASE_URL", "mysql://x/y", "only sqlite and postgresql"),
        ("DATABASE_URL", "not a url", "not a database URL"),
        ("REDIS_URL", "http://localhost", "REDIS_URL must start"),
        ("COUNTERPOINT_ENV", "staging", "COUNTERPOINT_ENV must be"),
        ("PROXY_HOPS", "two", "whole number"),
    ],
)
def test_invalid_values_fail_with_a_message_naming_the_setting(
    name: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({"COUNTERPOINT_ENV": "development", name: value}, INSTANCE)


def test_postgres_urls_are_given_the_psycopg_driver() -> None:
    settings = load_settings(
        {"COUNTERPOINT_ENV": "development", "DATABASE_URL": "postgres://u@h/d"}, INSTANCE
    )
    assert settings.database_url == "postgresql+psycopg://u@h/d"


# --- hosts, public URL, body timeout (issue 12) ----------------------------------------------


def test_without_trusted_hosts_only_the_machine_itself_is_served() -> None:
    for environment in ("development", "testing"):
        settings = load_settings({"COUNTERPOINT_ENV": environment}, INSTANCE)
        assert settings.trusted_hosts == ("localhost", "127.0.0.1")
        assert settings.flask_config()["TRUSTED_HOSTS"] == ["localhost", "127.0.0.1"]


def test_public_url_is_trusted_and_used_for_links() -> None:
    settings = load_settings(
        {"COUNTERPOINT_ENV": "development", "PUBLIC_URL": "https://CP.example.edu/"}, INSTANCE
    )
    assert settings.public_url == "https://cp.example.edu"
    assert settings.trusted_hosts == ("cp.example.edu",)
    listed = load_settings(
        {"COUNTERPOINT_ENV": "development", "PUBLIC_URL": "https://cp.example.edu",
         "TRUSTED_HOSTS": "proxy.internal, .example.org"},
        INSTANCE,
    )  # fmt: skip
    assert listed.trusted_hosts == ("proxy.internal", ".example.org", "cp.example.edu")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TRUSTED_HOSTS", "*", "not a host name"),
        ("TRUSTED_HOSTS", "https://cp.example.edu", "not a host name"),
        ("TRUSTED_HOSTS", "cp.example.edu:443", "not a host name"),
        ("TRUSTED_HOSTS", " , ", "at least one host"),
        ("PUBLIC_URL", "cp.example.edu", "must be an http"),
        ("PUBLIC_URL", "javascript:alert(1)", "must be an http"),
        ("PUBLIC_URL", "https://cp.example.edu/app", "no path"),
        ("BODY_TIMEOUT", "0", "between 1 and 300"),
    ],
)
def test_bad_host_settings_stop_the_app_with_a_reason(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({"COUNTERPOINT_ENV": "development", name: value}, INSTANCE)
