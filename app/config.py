"""Reads the app's settings from the environment and refuses values it cannot use."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ENVIRONMENTS = ("development", "testing", "production")
WEAK_SECRETS = {"", "dev", "secret", "changeme", "change-me", "development"}
MIN_SECRET_LENGTH = 32
# Development and testing only; production refuses to start without its own key.
DEV_SECRET = "counterpoint-development-only-secret-not-for-production"  # noqa: S105  # nosec B105
# Without TRUSTED_HOSTS or PUBLIC_URL only the machine itself is served: a forged Host header
# (or one a proxy passes on unchecked) is a 400, never a link to another site.
# (Werkzeug cannot match an IPv6 literal against its list: use a name for such a host.)
LOOPBACK_HOSTS = ("localhost", "127.0.0.1")
# A host name or address as Werkzeug compares it; a leading dot admits its subdomains.
HOST_RE = re.compile(
    r"^\.?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
)


class ConfigError(RuntimeError):
    """A setting is missing or invalid; the message says which and why."""


@dataclass(frozen=True)
class MailServer:
    """Where `flask mail send` delivers: parsed from MAIL_URL."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    ssl: bool = False  # smtps://: TLS from the first byte


@dataclass(frozen=True)
class Settings:
    environment: str
    database_url: str
    secret_key: str
    redis_url: str | None
    rate_limits: bool
    proxy_hops: int
    preferred_scheme: str
    session_idle_minutes: int = 8 * 60
    remember_days: int = 30
    trusted_hosts: tuple[str, ...] = LOOPBACK_HOSTS
    public_url: str | None = None
    body_timeout: int = 10
    mail_server: MailServer | None = None
    mail_from: str = "Counterpoint <counterpoint@localhost>"

    def flask_config(self) -> dict[str, Any]:
        secure = self.preferred_scheme == "https"
        return {
            "ENVIRONMENT": self.environment,
            "TESTING": self.environment == "testing",
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options(self.database_url),
            "REDIS_URL": self.redis_url,
            "RATELIMIT_ENABLED": self.rate_limits,
            "RATELIMIT_STORAGE_URI": self.redis_url or "memory://",
            "RATELIMIT_HEADERS_ENABLED": True,
            "PROXY_HOPS": self.proxy_hops,
            "PREFERRED_URL_SCHEME": self.preferred_scheme,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": secure,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_SECURE": secure,
            # A signed-in session ends after this long without a request; "keep me signed in"
            # lasts REMEMBER_COOKIE_DURATION from sign-in (app/sessions.py enforces both).
            "SESSION_IDLE_TIMEOUT": timedelta(minutes=self.session_idle_minutes),
            "REMEMBER_COOKIE_DURATION": timedelta(days=self.remember_days),
            "MAX_CONTENT_LENGTH": 1024 * 1024,
            # Our largest form has a dozen fields; app/limits.py applies this to url-encoded
            # forms too (Werkzeug counts only multipart parts).
            "MAX_FORM_PARTS": 100,
            "MAX_FORM_MEMORY_SIZE": 512 * 1024,
            "TRUSTED_HOSTS": list(self.trusted_hosts),
            "PUBLIC_URL": self.public_url,
            "BODY_TIMEOUT": self.body_timeout,
            "WTF_CSRF_TIME_LIMIT": None,
            "JSON_SORT_KEYS": False,
            # Flask-Compress never closes a streamed file it compresses (a leaked handle per
            # static file); streamed responses are static files, which a proxy serves anyway.
            "COMPRESS_STREAMS": False,
            # A body that fits in one TCP segment arrives no sooner for being smaller; gzip
            # would only cost the CPU (~0.1 ms for a posted annotation's 730-byte JSON).
            "COMPRESS_MIN_SIZE": 1400,
            # gzip at 4, not Flask-Compress's 6: on a 140 KB reading page it is 2.4x faster
            # (2.2 vs 5.4 ms of a worker's CPU) for 4% more bytes. The article page is gzipped
            # from pieces instead (app/web/gzipped.py); other pages mostly go out as zstd.
            "COMPRESS_LEVEL": 4,
            # None: mail is written as .eml files under the instance folder.
            "MAIL_SERVER": self.mail_server,
            "MAIL_FROM": self.mail_from,
            # Links in mail are built from this, never from a request's Host header.
        }


def engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        # A writer waits for the lock instead of failing with "database is locked".
        return {"connect_args": {"timeout": 15}}
    # LIFO: the connection just returned is the next one used, so the fewest connections stay
    # busy and theirs are the statements psycopg has prepared (app/database.py).
    return {"pool_pre_ping": True, "pool_use_lifo": True}


def _env(environ: dict[str, str], name: str, default: str | None = None) -> str | None:
    value = environ.get(name)
    return value if value not in (None, "") else default


def _database_url(environ: dict[str, str], instance_path: Path) -> str:
    url = _env(environ, "DATABASE_URL") or f"sqlite:///{instance_path / 'counterpoint.sqlite3'}"
    if url.startswith("postgres://"):  # Heroku-style URLs name the dialect "postgres"
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"DATABASE_URL is not a database URL: {exc}") from exc
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(
            f"DATABASE_URL names {parsed.get_backend_name()!r}; "
            "only sqlite and postgresql are supported"
        )
    return url


def _secret_key(environ: dict[str, str], environment: str) -> str:
    key = _env(environ, "SECRET_KEY")
    if environment == "production":
        if key is None:
            raise ConfigError("SECRET_KEY must be set in production (e.g. `openssl rand -hex 32`)")
        if key.lower() in WEAK_SECRETS or len(key) < MIN_SECRET_LENGTH:
            raise ConfigError(
                f"SECRET_KEY is too weak: use at least {MIN_SECRET_LENGTH} random characters"
            )
        return key
    return key or DEV_SECRET


def _rate_limits(environ: dict[str, str]) -> bool:
    value = (_env(environ, "RATE_LIMITS", "on") or "on").lower()
    if value not in ("on", "off"):
        raise ConfigError(f"RATE_LIMITS must be 'on' or 'off', not {value!r}")
    return value == "on"


def _redis_url(environ: dict[str, str]) -> str | None:
    url = _env(environ, "REDIS_URL")
    if url is not None and not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("REDIS_URL must start with redis://, rediss:// or unix://")
    return url


def _int(environ: dict[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = _env(environ, name, str(default)) or str(default)
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if not lo <= value <= hi:
        raise ConfigError(f"{name} must be between {lo} and {hi}, not {value}")
    return value


def _public_url(environ: dict[str, str]) -> str | None:
    url = _env(environ, "PUBLIC_URL")
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"PUBLIC_URL must be an http(s) URL such as https://cp.example.edu, not {url!r}"
        )
    if parts.path.strip("/") or parts.query or parts.fragment or parts.username:
        raise ConfigError("PUBLIC_URL is the site's root: a scheme and a host (and port), no path")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _trusted_hosts(environ: dict[str, str], public_url: str | None) -> tuple[str, ...]:
    raw = _env(environ, "TRUSTED_HOSTS")
    if raw is None:
        hosts = [urlsplit(public_url).hostname or ""] if public_url else list(LOOPBACK_HOSTS)
    else:
        hosts = [h.strip().lower() for h in raw.split(",") if h.strip()]
        if not hosts:
            raise ConfigError("TRUSTED_HOSTS must name at least one host")
        for host in hosts:
            if not HOST_RE.match(host):
                raise ConfigError(
                    f"TRUSTED_HOSTS: {host!r} is not a host name (no scheme, port or '*'; "
                    "a leading dot admits subdomains)"
                )
        if public_url and (name := urlsplit(public_url).hostname) and name not in hosts:
            hosts.append(name)  # the site's own links must lead somewhere it answers
    return tuple(dict.fromkeys(hosts))


def _mail_server(environ: dict[str, str]) -> MailServer | None:
    url = _env(environ, "MAIL_URL")
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError("MAIL_URL must look like smtp://[user:pass@]host:port[?starttls=1]")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError:
        raise ConfigError("MAIL_URL has a port that is not a number") from None
    query = parse_qs(parts.query)
    unknown = set(query) - {"starttls"}
    if unknown:
        raise ConfigError(f"MAIL_URL has unknown options: {', '.join(sorted(unknown))}")
    starttls = query.get("starttls", ["0"])[-1]
    if starttls not in ("0", "1"):
        raise ConfigError("MAIL_URL's starttls must be 0 or 1")
    return MailServer(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        starttls=starttls == "1",
        ssl=parts.scheme == "smtps",
    )


def _mail_from(environ: dict[str, str]) -> str:
    value = _env(environ, "MAIL_FROM", "Counterpoint <counterpoint@localhost>") or ""
    if "\r" in value or "\n" in value or "@" not in value:
        raise ConfigError("MAIL_FROM must be one address, e.g. 'Counterpoint <cp@example.edu>'")
    return value


def load_settings(
    environ: dict[str, str] | None = None, instance_path: Path | None = None
) -> Settings:
    """Build the settings from `environ` (default: the process environment)."""
    env = dict(os.environ if environ is None else environ)
    environment = (_env(env, "COUNTERPOINT_ENV", "production") or "production").lower()
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"COUNTERPOINT_ENV must be one of {', '.join(ENVIRONMENTS)}")
    scheme = (_env(env, "PREFERRED_URL_SCHEME", "http") or "http").lower()
    if scheme not in ("http", "https"):
        raise ConfigError("PREFERRED_URL_SCHEME must be http or https")
    public_url = _public_url(env)
    return Settings(
        environment=environment,
        database_url=_database_url(env, instance_path or Path("instance").resolve()),
        secret_key=_secret_key(env, environment),
        redis_url=_redis_url(env),
        rate_limits=_rate_limits(env),
        proxy_hops=_int(env, "PROXY_HOPS", 0, 0, 5),
        preferred_scheme=scheme,
        session_idle_minutes=_int(env, "SESSION_IDLE_MINUTES", 8 * 60, 5, 30 * 24 * 60),
        remember_days=_int(env, "REMEMBER_DAYS", 30, 1, 365),
        trusted_hosts=_trusted_hosts(env, public_url),
        public_url=public_url,
        body_timeout=_int(env, "BODY_TIMEOUT", 10, 1, 300),
        mail_server=_mail_server(env),
        mail_from=_mail_from(env),
    )
