"""The nginx configuration `make scaleout` runs: round-robin over the app's instances, caching
anonymous pages for as long as the app's own headers allow.

The cache decides nothing by itself. The app marks what may be shared (`Cache-Control: public,
s-maxage=N` on anonymous article and paragraph pages) and what may not (`no-store` or `private`
once signed in, and any response that sets a cookie); nginx obeys those headers, and in
addition never stores or serves from the cache a request that carries a session, a remember
cookie or an Authorization header, so a signed-in page can never be handed to someone else even
if a header were wrong. After `s-maxage` nginx revalidates with the app's ETag (a 304 costs the
app one statement) and, while one request does that, serves the others the copy it has.

Used by bench/scaleout.py; the same text, with TLS and real paths, is what the README's
department deployment puts in front of its instances.
"""

from __future__ import annotations

import os
import pwd
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# Directories nginx writes under its prefix; every one is named in the config, so nothing falls
# back to the package's compiled-in /var/lib/nginx or /var/log/nginx (root's, and shared).
TEMP_DIRS = ("body", "proxy", "fastcgi", "uwsgi", "scgi")
SESSION_COOKIES = ("session", "remember_token")  # Flask's session and Flask-Login's remember
CACHE_ZONE = "counterpoint"
# What the access log records per request: the load runs read the cache's verdicts from it.
LOG_FORMAT = '$msec $request_method $status $upstream_cache_status "$upstream_addr" $request_uri'


@dataclass(frozen=True)
class NginxSite:
    prefix: Path  # everything nginx writes: pid, logs, temp files, the cache
    listen: str  # "127.0.0.1:8080"
    upstreams: Sequence[str]  # "127.0.0.1:8001", ...
    workers: int = 1
    cache_size: str = "256m"
    access_log: bool = True

    @property
    def conf_path(self) -> Path:
        return self.prefix / "nginx.conf"

    @property
    def pid_path(self) -> Path:
        return self.prefix / "nginx.pid"

    @property
    def error_log(self) -> Path:
        return self.prefix / "logs" / "error.log"

    @property
    def access_log_path(self) -> Path:
        return self.prefix / "logs" / "access.log"

    def directories(self) -> list[Path]:
        return [
            self.prefix / "logs",
            self.prefix / "cache",
            *(self.prefix / "temp" / d for d in TEMP_DIRS),
        ]

    def write(self) -> Path:
        """Create the prefix's directories and write nginx.conf; its path."""
        for path in self.directories():
            path.mkdir(parents=True, exist_ok=True)
        self.conf_path.write_text(render(self))
        return self.conf_path

    def command(self, *extra: str) -> list[str]:
        """nginx in the foreground on this prefix (`-e`: not even its first message goes to the
        package's /var/log/nginx)."""
        return [
            "nginx",
            "-p",
            str(self.prefix),
            "-c",
            str(self.conf_path),
            "-e",
            str(self.error_log),
            *extra,
        ]


def signed_in_map() -> str:
    """$cp_signed_in is 1 when the request carries a session or remember cookie."""
    names = "|".join(SESSION_COOKIES)
    return (
        "    map $http_cookie $cp_signed_in {\n"
        "        default 0;\n"
        f'        "~(^|;)\\s*({names})=" 1;\n'
        "    }\n"
    )


def proxy(cached: bool) -> str:
    """One location's proxy directives (nginx drops every inherited proxy_set_header as soon as
    a location sets one, so each location gets the whole list)."""
    lines = [
        "proxy_pass http://counterpoint_app;",
        "proxy_http_version 1.1;",
        'proxy_set_header Connection "";',
        "# PROXY_HOPS=1: the app believes exactly these, from this one proxy. The Host must be",
        "# in TRUSTED_HOSTS (or PUBLIC_URL's host); any other is a 400 from the app.",
        "proxy_set_header Host $host;",
        "proxy_set_header X-Forwarded-Host $http_host;",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        "proxy_request_buffering on;",
        "proxy_buffering on;",
        "proxy_connect_timeout 5s;",
        "proxy_read_timeout 35s;",
    ]
    if cached:
        lines += [
            "# Plain bodies from the app, gzipped here on the way out: one cached copy per page",
            "# however each browser spells Accept-Encoding.",
            'proxy_set_header Accept-Encoding "";',
            "# Stored and served only as the app's headers allow (public + s-maxage; never",
            "# private, no-store, no-cache or with Set-Cookie), and never for anyone signed in.",
            f"proxy_cache {CACHE_ZONE};",
            "proxy_cache_key $scheme$host$request_uri;",
            "proxy_cache_methods GET HEAD;",
            "proxy_no_cache $cp_signed_in $http_authorization;",
            "proxy_cache_bypass $cp_signed_in $http_authorization;",
            "# After s-maxage: ask the app with its ETag (a 304 is one SQL statement), one request",
            "# at a time per page, while the others get the copy in hand.",
            "proxy_cache_revalidate on;",
            "proxy_cache_lock on;",
            "proxy_cache_lock_timeout 5s;",
            "proxy_cache_use_stale updating;",
            "add_header X-Cache-Status $upstream_cache_status always;",
        ]
    return "\n".join(f"            {line}" for line in lines)


def _user_line() -> str:
    """Run as root, nginx's workers would switch to `nobody`, who cannot write under a private
    prefix (pytest's tmp_path is 0700): they stay the caller, as they do for everyone else."""
    if os.geteuid() != 0:
        return ""  # nginx ignores (and warns about) `user` unless started as root
    return f"user {pwd.getpwuid(os.geteuid()).pw_name};\n"


def render(site: NginxSite) -> str:
    p = site.prefix
    temp = "\n".join(
        f"    {kind}_temp_path {p / 'temp' / d};"
        for kind, d in (
            ("client_body", "body"),
            ("proxy", "proxy"),
            ("fastcgi", "fastcgi"),
            ("uwsgi", "uwsgi"),
            ("scgi", "scgi"),
        )
    )
    servers = "\n".join(f"        server {u} max_fails=1 fail_timeout=5s;" for u in site.upstreams)
    access = (
        f"    log_format scaleout '{LOG_FORMAT}';\n"
        f"    access_log {site.access_log_path} scaleout buffer=64k flush=1s;"
        if site.access_log
        else "    access_log off;"
    )
    return f"""\
# Written by bench/nginx_conf.py for `make scaleout`; runs as `nginx -p {p} -c {site.conf_path}`.
daemon off;
{_user_line()}worker_processes {site.workers};
pid {site.pid_path};
error_log {site.error_log} warn;

events {{
    worker_connections 1024;
}}

http {{
{temp}
{access}
    default_type application/octet-stream;
    server_tokens off;
    keepalive_timeout 30s;
    # The app's own limits (SECURITY.md, Production front end): a slow or huge body never
    # reaches a worker.
    client_max_body_size 1m;
    client_body_timeout 10s;
    client_header_timeout 10s;
    send_timeout 30s;

    # What the app sent plain (the cached locations ask for plain bodies) is gzipped here.
    gzip on;
    gzip_comp_level 1;
    gzip_min_length 1400;
    gzip_proxied any;
    gzip_vary on;
    gzip_types text/css application/javascript application/json text/plain image/svg+xml;

    proxy_cache_path {p / "cache"} levels=1:2 keys_zone={CACHE_ZONE}:10m max_size={site.cache_size}
                     inactive=10m use_temp_path=off;

{signed_in_map()}
    upstream counterpoint_app {{
{servers}
        keepalive 16;
    }}

    server {{
        listen {site.listen};
        server_name _;

        # Everything else: straight through, conditional requests and all (a cached location
        # swaps a reader's If-None-Match for its own). /version polls are answered here.
        location / {{
{proxy(cached=False)}
        }}

        # The pages the app makes public for anonymous readers, and only those: the article
        # page and a paragraph's page. proxy_cache_lock makes concurrent misses of one page
        # wait their turn, which is what a cold page needs and what would serialise a page
        # the app never lets anyone keep.
        location ~ ^/articles/[^/]+(/p/[^/]+)?$ {{
{proxy(cached=True)}
        }}
    }}
}}
"""
