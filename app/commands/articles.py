"""`flask articles import` and `flask demo load`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

import click
from flask.cli import AppGroup

from app.extensions import db
from app.importing import FORMATS
from app.services.articles import ImportSummary, import_article_summary, import_demo, read_file
from app.services.errors import ConfirmationNeeded, DomainError

BLOCK_COUNTS = ("kept", "moved", "edited", "added", "removed")
NOTE_COUNTS = ("anchored", "reanchored", "orphaned")


# AppGroup: each command runs in an app context however it is invoked (flask, test runner).
@click.group(cls=AppGroup, help="Manage articles.")
def articles() -> None:
    pass


@click.group(cls=AppGroup, help="The bundled demo article.")
def demo() -> None:
    pass


def _fail(exc: DomainError, hint: str = "") -> NoReturn:
    db.session.rollback()  # nothing half-imported stays behind
    details = "; ".join(f"{field}: {reason}" for field, reason in exc.fields.items())
    if hint:
        details = hint
    raise click.ClickException(f"{exc.message} {details}".strip())


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def describe(summary: ImportSummary) -> str:
    """One line saying what an import did, e.g. "Imported 'Title' as slug: 27 blocks ..."."""
    title, slug = summary.article.title, summary.article.slug
    contents = (
        f"{_count(summary.blocks, 'block')} ({_count(summary.headings, 'heading')}), "
        f"{_count(summary.asides, 'aside')}"
    )
    if summary.created:
        return f"Imported '{title}' as {slug}: {contents}."
    if not summary.changed:
        return f"'{title}' ({slug}) is already up to date: nothing changed."
    return f"Revised '{title}' ({slug}) to revision {summary.revision}: {contents}.\n" + (
        describe_report(summary.report)
    )


def describe_report(report: dict[str, Any]) -> str:
    """The anchor health report of a revision, two lines."""
    blocks, notes = report.get("blocks", {}), report.get("annotations", {})
    return (
        "Blocks: " + ", ".join(f"{blocks.get(k, 0)} {k}" for k in BLOCK_COUNTS) + ".\n"
        "Annotations: " + ", ".join(f"{notes.get(k, 0)} {k}" for k in NOTE_COUNTS) + "."
    )


@articles.command(
    "import",
    help="Import (or re-import) a Markdown, plain-text or HTML article (UTF-8 or Windows-1252).",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--slug", help="The article's name in URLs (default: made from its title).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="The file's format (default: from its extension: .md, .txt, .html).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Apply a revision even if it would orphan more than half of the annotations.",
)
def import_command(file: Path, slug: str | None, fmt: str | None, force: bool) -> None:
    try:
        summary = import_article_summary(read_file(file, fmt), slug, force=force)
    except ConfirmationNeeded as exc:
        _fail(exc, hint="Run again with --force to apply it.")
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(describe(summary))


@demo.command("load", help="Import the bundled demo article; running it again changes nothing.")
def load_command() -> None:
    try:
        summary = import_demo()
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(describe(summary))
