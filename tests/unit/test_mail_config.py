"""MAIL_URL, MAIL_FROM and PUBLIC_URL (the base of mail links): read, or refused with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import ConfigError, MailServer, load_settings


def _settings(**env: str):  # type: ignore[no-untyped-def]
    return load_settings({"COUNTERPOINT_ENV": "development", **env}, Path("/tmp"))  # noqa: S108


def test_mail_url_with_credentials_and_starttls() -> None:
    settings = _settings(MAIL_URL="smtp://ann%40uni:p%3Ass@mail.example.edu:587?starttls=1")
    assert settings.mail_server == MailServer(
        "mail.example.edu", 587, "ann@uni", "p:ss", starttls=True
    )


def test_unset_mail_url_means_eml_files_and_smtps_defaults_to_465() -> None:
    assert _settings().mail_server is None
    assert _settings(MAIL_URL="smtps://mail.example.edu").mail_server == MailServer(
        "mail.example.edu", 465, ssl=True
    )


@pytest.mark.parametrize(
    "url",
    ["http://mail.example.edu", "smtp://", "smtp://host:port", "smtp://h:25?starttls=yes",
     "smtp://h:25?tls=1"],
)  # fmt: skip
def test_a_bad_mail_url_stops_the_start_with_a_reason(url: str) -> None:
    with pytest.raises(ConfigError, match="MAIL_URL"):
        _settings(MAIL_URL=url)


@pytest.mark.parametrize(
    ("name", "value"),
    [("MAIL_FROM", "Counterpoint\r\nBcc: x@y.z <cp@x.edu>"), ("MAIL_FROM", "nobody"),
     ("PUBLIC_URL", "ftp://cp.example.edu"), ("PUBLIC_URL", "https://cp.example.edu/?x=1")],
)  # fmt: skip
def test_bad_mail_from_and_base_url_are_refused(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        _settings(**{name: value})


def test_public_url_loses_its_trailing_slash() -> None:
    assert _settings(PUBLIC_URL="https://cp.example.edu/").public_url == "https://cp.example.edu"
