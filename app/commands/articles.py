"""`flask articles import` and `flask demo load`."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import click
from flask.cli import AppGroup

from app.extensions import db
from app.importing import FORMATS, parse_file
from app.services.articles import ImportSummary, import_article_summary, import_demo
from app.services.errors import DomainError


# AppGroup: each command runs in an app context however it is invoked (flask, test runner).
@click.group(cls=AppGroup, help="Manage articles.")
def articles() -> None:
    pass


@click.group(cls=AppGroup, help="The bundled demo article.")
def demo() -> None:
    pass


def _fail(exc: DomainError) -> NoReturn:
    db.session.rollback()  # nothing half-imported stays behind
    details = "; ".join(f"{field}: {reason}" for field, reason in exc.fields.items())
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
    return (
        f"Updated '{title}' ({slug}): {contents}; {summary.added} added, {summary.edited} edited, "
        f"{summary.removed} removed, {summary.kept} kept for their annotations."
    )


@articles.command("import", help="Import (or re-import) a Markdown, plain-text or HTML article.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--slug", help="The article's name in URLs (default: made from its title).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="The file's format (default: from its extension: .md, .txt, .html).",
)
def import_command(file: Path, slug: str | None, fmt: str | None) -> None:
    try:
        summary = import_article_summary(parse_file(file, fmt), slug)
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
