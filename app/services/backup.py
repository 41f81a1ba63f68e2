"""Backing up and restoring the whole database: SQLite's online backup API, PostgreSQL's pg_dump."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess  # nosec B404
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, func, inspect, select, text
from sqlalchemy.engine import URL, Engine

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
# Tables every Counterpoint schema has had since the first migration: how a backup is recognised.
CORE_TABLES = frozenset({"users", "articles", "blocks", "annotations"})
VERSION_TABLE = "alembic_version"


class BackupError(Exception):
    """The backup or restore cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupInfo:
    """What a backup file holds, as far as a restore needs to know."""

    path: Path
    dialect: str  # "sqlite" or "postgresql"
    revision: str
    tables: tuple[str, ...]
    size: int
    rows: dict[str, int] | None = None  # per table, when the format lets us count cheaply


@dataclass(frozen=True)
class RestoreResult:
    backup: BackupInfo
    previous_revision: str | None
    rows: dict[str, int] = field(default_factory=dict)
    dropped: tuple[str, ...] = ()  # tables newer than the backup, removed by the restore


def migration_history(directory: str | Path) -> list[str]:
    """The revisions this code knows, oldest first (the last is the current head)."""
    script = ScriptDirectory(str(directory))
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def describe_url(engine: Engine) -> str:
    """The database's name for messages, without its password."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return f"SQLite database {url.database}"
    shown = url.set(drivername="postgresql").render_as_string(hide_password=True)
    return f"PostgreSQL database {shown}"


def database_revision(engine: Engine) -> str | None:
    """The migration revision the database is at, or None when it has no schema yet."""
    if not inspect(engine).has_table(VERSION_TABLE):
        return None
    with engine.connect() as conn:
        # A constant table name, no user input.
        return conn.scalar(text(f"SELECT version_num FROM {VERSION_TABLE}"))  # noqa: S608  # nosec B608


def count_rows(engine: Engine) -> dict[str, int]:
    """Rows per table, for every table the database has (whatever the schema revision)."""
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as conn:
        return {
            name: conn.scalar(select(func.count()).select_from(table)) or 0
            for name, table in sorted(metadata.tables.items())
        }


def backup_database(engine: Engine, path: Path) -> BackupInfo:
    """Write a consistent copy of the database to `path` while the app keeps running.

    The file appears only once complete, so a failed backup never leaves a half file behind.
    """
    if database_revision(engine) is None:
        raise BackupError(
            "The database has no Counterpoint schema (no alembic_version table): "
            "nothing to back up. Run `flask --app wsgi db upgrade` first."
        )
    path = path.expanduser().resolve()
    if path.is_dir():
        raise BackupError(f"{path} is a directory; give the backup file's name.")
    if not path.parent.is_dir():
        raise BackupError(f"The folder {path.parent} does not exist.")
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        if engine.dialect.name == "sqlite":
            _sqlite_backup(engine, partial)
        else:
            _pg_dump(engine.url, partial)
        info = read_backup(partial)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return BackupInfo(path, info.dialect, info.revision, info.tables, info.size, info.rows)


def read_backup(path: Path) -> BackupInfo:
    """Identify a backup file: its format and migration revision, or BackupError."""
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise BackupError(f"Cannot read {path}: {exc.strerror}.") from None
    if head.startswith(SQLITE_MAGIC):
        return _read_sqlite_backup(path)
    if head.startswith(PGDUMP_MAGIC):
        return _read_pg_backup(path)
    raise BackupError(
        f"{path} is not a Counterpoint backup: it is neither a SQLite database "
        "nor a pg_dump custom-format archive."
    )


def check_restorable(backup: BackupInfo, engine: Engine, history: Sequence[str]) -> None:
    """Refuse a backup of another kind of database or one made by newer code than this."""
    dialect = engine.dialect.name
    if backup.dialect != dialect:
        raise BackupError(
            f"{backup.path} is a {backup.dialect} backup; this app uses {dialect}. "
            "Restore it into a database of the same kind."
        )
    if backup.revision not in history:
        raise BackupError(
            f"{backup.path} is at migration revision {backup.revision!r}, which this version "
            f"of Counterpoint does not know (its newest is {history[-1]!r}): it was made by "
            "newer code. Upgrade Counterpoint first, then restore."
        )


def restore_database(engine: Engine, backup: BackupInfo, history: Sequence[str]) -> RestoreResult:
    """Replace everything in the database with the backup's contents.

    The caller migrates the schema afterwards if the backup is older than `history[-1]`.
    """
    check_restorable(backup, engine, history)
    previous = database_revision(engine)
    dropped: tuple[str, ...] = ()
    # Our own pooled connections must not hold locks that the restore waits for.
    engine.dispose()
    if engine.dialect.name == "sqlite":
        _sqlite_restore(engine, backup.path)
    else:
        dropped = _tables_missing_from(engine, backup.tables)
        _pg_restore(engine.url, backup.path)
    engine.dispose()  # connections opened before the restore may cache the old schema
    return RestoreResult(backup, previous, count_rows(engine), dropped)


# --- SQLite ---------------------------------------------------------------------------------


def _sqlite_backup(engine: Engine, target_path: Path) -> None:
    raw = engine.raw_connection()
    try:
        target = sqlite3.connect(target_path)
        try:
            # One step (pages=-1) copies a single consistent snapshot, even while others write.
            raw.driver_connection.backup(target)  # type: ignore[union-attr]
            # A backup is one self-contained file: no -wal/-shm companions to forget.
            target.execute("PRAGMA journal_mode=DELETE").fetchone()
        finally:
            target.close()
    finally:
        raw.close()


def _sqlite_readonly(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _read_sqlite_backup(path: Path) -> BackupInfo:
    try:
        conn = _sqlite_readonly(path)
    except sqlite3.Error as exc:
        raise BackupError(f"{path} cannot be opened as a SQLite database: {exc}.") from None
    try:
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"{path} is damaged (SQLite quick_check: {check}).")
        tables = tuple(
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        )
        revision = _checked_revision(path, tables, conn)
        rows = {}
        for name in tables:
            # Names come from the file's own sqlite_master, quoted as identifiers.
            query = f'SELECT count(*) FROM "{name}"'  # noqa: S608  # nosec B608
            rows[name] = conn.execute(query).fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} cannot be read as a SQLite database: {exc}.") from None
    finally:
        conn.close()
    return BackupInfo(path, "sqlite", revision, tables, path.stat().st_size, rows)


def _checked_revision(path: Path, tables: Sequence[str], conn: sqlite3.Connection) -> str:
    missing = CORE_TABLES.difference(tables)
    if VERSION_TABLE not in tables or missing:
        raise BackupError(
            f"{path} is a SQLite database but not a Counterpoint backup "
            f"(it lacks {', '.join(sorted(missing | ({VERSION_TABLE} - set(tables))))})."
        )
    row = conn.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchone()  # noqa: S608  # nosec B608
    if row is None:
        raise BackupError(f"{path} has no migration revision in {VERSION_TABLE}.")
    return str(row[0])


def _sqlite_restore(engine: Engine, source_path: Path) -> None:
    source = _sqlite_readonly(source_path)
    try:
        raw = engine.raw_connection()
        try:
            # The backup API writes through SQLite's own locking (and the WAL), so app workers
            # that have the file open simply see the new contents; copying the file would not.
            source.backup(raw.driver_connection)  # type: ignore[arg-type]
        finally:
            raw.close()
    finally:
        source.close()


# --- PostgreSQL -----------------------------------------------------------------------------


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} was not found on PATH. Install the PostgreSQL client tools "
            "(Debian/Ubuntu: `apt-get install postgresql-client`), of the server's major "
            "version or newer."
        )
    return path


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and an environment that carries it.

    The password goes in PGPASSWORD so that it never appears in a process listing.
    """
    conninfo = url.set(drivername="postgresql", password=None)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return conninfo.render_as_string(hide_password=False), env


def _run(args: list[str], env: dict[str, str] | None = None) -> str:
    try:
        # An argument list and no shell: nothing in the URL can be read as a command.
        result = subprocess.run(  # noqa: S603  # nosec B603
            args, env=env, capture_output=True, text=True, check=False
        )
    except OSError as exc:
        raise BackupError(f"Could not run {args[0]}: {exc.strerror}.") from None
    if result.returncode != 0:
        name = Path(args[0]).name
        raise BackupError(f"{name} failed (exit {result.returncode}): {result.stderr.strip()}")
    return result.stdout


def _pg_dump(url: URL, target_path: Path) -> None:
    conninfo, env = _libpq(url)
    _run(
        [_tool("pg_dump"), "--format=custom", f"--file={target_path}", f"--dbname={conninfo}"],
        env,
    )


TOC_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE (?!DATA )(\S+) (\S+) ")


def _read_pg_backup(path: Path) -> BackupInfo:
    pg_restore = _tool("pg_restore")
    toc = _run([pg_restore, "--list", str(path)])
    tables = tuple(sorted(m.group(2) for line in toc.splitlines() if (m := TOC_TABLE.match(line))))
    missing = (CORE_TABLES | {VERSION_TABLE}).difference(tables)
    if missing:
        raise BackupError(
            f"{path} is a pg_dump archive but not a Counterpoint backup "
            f"(it lacks {', '.join(sorted(missing))})."
        )
    # The revision is data, not schema: have pg_restore print that one table's COPY block.
    script = _run([pg_restore, "--data-only", f"--table={VERSION_TABLE}", "--file=-", str(path)])
    revision = _copied_value(script)
    if revision is None:
        raise BackupError(f"{path} has no migration revision in {VERSION_TABLE}.")
    return BackupInfo(path, "postgresql", revision, tables, path.stat().st_size)


def _copied_value(script: str) -> str | None:
    lines = iter(script.splitlines())
    for line in lines:
        if line.startswith("COPY ") and VERSION_TABLE in line:
            value = next(lines, "\\.")
            return None if value == "\\." else value
    return None


def _tables_missing_from(engine: Engine, keep: Sequence[str]) -> tuple[str, ...]:
    """Tables a later migration added: the restore removes them with everything else."""
    return tuple(sorted(set(inspect(engine).get_table_names()) - set(keep)))


# Everything the restore replaces goes first, in the restore's own transaction: an older
# backup's schema then loads whole, even where a later migration added tables, or columns with
# foreign keys into the backup's tables (pg_restore --clean drops only what its archive holds).
_DROP_TABLES = """
DO $$
DECLARE t record;
BEGIN
  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() LOOP
    EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', t.tablename);
  END LOOP;
END $$;
"""


def _pg_restore(url: URL, source_path: Path) -> None:
    conninfo, env = _libpq(url)
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "restore.sql"
        _run(
            [
                _tool("pg_restore"),
                "--no-owner",  # the backup may come from a server where other roles own them
                "--no-privileges",
                f"--file={script}",
                str(source_path),
            ]
        )
        _run(
            [
                _tool("psql"),
                "--no-psqlrc",
                "--quiet",
                "--set=ON_ERROR_STOP=1",
                # all or nothing: a failed restore leaves the data (and schema) as they were
                "--single-transaction",
                f"--command={_DROP_TABLES}",
                f"--file={script}",
                f"--dbname={conninfo}",
            ],
            env,
        )
