"""The `flask` commands: articles import, demo load and users create, through the Flask CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from app.extensions import db
from app.models import Article, Block, User
from app.services.articles import DEMO_SLUG

ARTICLE = """# A Small Article

By Ann Author

May 1, 2022

## The part

First paragraph, whole.

Second paragraph stops mid

sentence and goes on after a page break.

**Related article:** [Elsewhere](#)
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def stored(app: Flask) -> list[tuple[str, str, int]]:
    """(slug, title, block count) of every stored article."""
    with app.app_context():
        rows = db.session.execute(
            select(Article.slug, Article.title, func.count(Block.id))
            .outerjoin(Block, Block.article_id == Article.id)
            .group_by(Article.id)
            .order_by(Article.slug)
        )
        return [tuple(row) for row in rows]


def test_articles_import_stores_the_file_and_says_what_it_did(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(args=["articles", "import", str(write(tmp_path, "a.md", ARTICLE))])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Imported 'A Small Article' as a-small-article: 3 blocks (1 heading), 1 aside.\n"
    )
    assert stored(app) == [("a-small-article", "A Small Article", 3)]


def test_articles_import_takes_a_slug_and_a_format(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = write(tmp_path, "notes.dat", "Plain Title\n\nOne *plain* paragraph.")
    result = runner.invoke(
        args=["articles", "import", str(path), "--slug", "mine", "--format", "txt"]
    )
    assert result.exit_code == 0, result.output
    assert "as mine: 1 block (0 headings), 0 asides." in result.output
    with app.app_context():
        assert db.session.scalar(select(Block.text)) == "One *plain* paragraph."


def test_articles_import_reads_html(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "page.htm", "<h1>Web Page</h1><script>x()</script><p>Its text.</p>")
    result = runner.invoke(args=["articles", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert stored(app) == [("web-page", "Web Page", 1)]


def test_reimporting_reports_the_changes_and_then_that_nothing_changed(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = write(tmp_path, "a.md", ARTICLE)
    runner.invoke(args=["articles", "import", str(path)])
    path.write_text(ARTICLE.replace("## The part", "## The part\n\nA new paragraph."), "utf-8")
    updated = runner.invoke(args=["articles", "import", str(path)])
    unchanged = runner.invoke(args=["articles", "import", str(path)])
    assert updated.exit_code == unchanged.exit_code == 0
    assert updated.output.startswith(
        "Revised 'A Small Article' (a-small-article) to revision 2: 4 blocks"
    )
    assert "Blocks: 3 kept, 0 moved, 0 edited, 1 added, 0 removed." in updated.output
    assert "Annotations: 0 anchored, 0 reanchored, 0 orphaned." in updated.output
    assert unchanged.output == (
        "'A Small Article' (a-small-article) is already up to date: nothing changed.\n"
    )


@pytest.mark.parametrize(
    ("name", "text", "args", "message"),
    [
        ("empty.md", "", [], "The text is empty."),  # as the browser upload says
        ("title.md", "# Only a title\n", [], "No paragraphs found"),
        ("a.md", ARTICLE, ["--slug", "Not A Slug"], "slug: Use 1–120 characters"),
        ("a.docx", ARTICLE, [], "Cannot tell the format of a.docx"),
    ],
)
def test_articles_import_refuses_bad_input_and_stores_nothing(
    app: Flask,
    runner: FlaskCliRunner,
    tmp_path: Path,
    name: str,
    text: str,
    args: list[str],
    message: str,
) -> None:
    result = runner.invoke(args=["articles", "import", str(write(tmp_path, name, text)), *args])
    assert result.exit_code == 1
    assert message in result.output
    assert stored(app) == []


def test_articles_import_refuses_a_missing_file(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(args=["articles", "import", str(tmp_path / "nope.md")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_articles_import_reads_windows_1252_as_the_browser_upload_does(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "word.txt"
    path.write_bytes("Café “quoted”\n\nTexte — fin.".encode("cp1252"))
    result = runner.invoke(args=["articles", "import", str(path)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        article = db.session.scalars(select(Article)).one()
        assert article.title == "Café “quoted”"
        texts = db.session.scalars(select(Block.text).where(Block.article_id == article.id))
        assert "Texte — fin." in list(texts)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        # Neither UTF-8 nor Windows-1252 (0x81 is unassigned in it).
        (b"Caf\xe9\x81\n\nTexte.", "This is not a text file."),
        # Decodes, but is binary: refused as the browser upload refuses it.
        (b"PK\x03\x04\x00\x00\x08\x00" * 40, "This is not a text file."),
    ],
)
def test_articles_import_refuses_what_is_not_text(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path, raw: bytes, message: str
) -> None:
    path = tmp_path / "odd.txt"
    path.write_bytes(raw)
    result = runner.invoke(args=["articles", "import", str(path)])
    assert result.exit_code == 1
    assert message in result.output
    assert stored(app) == []


def test_demo_load_imports_once_and_then_changes_nothing(
    app: Flask, runner: FlaskCliRunner
) -> None:
    first = runner.invoke(args=["demo", "load"])
    second = runner.invoke(args=["demo", "load"])
    assert first.exit_code == second.exit_code == 0
    assert first.output == (
        "Imported 'Putin's Nagorno-Karabakh Calculus Can Undermine Russian Clout in FSU' as "
        f"{DEMO_SLUG}: 27 blocks (3 headings), 3 asides.\n"
    )
    assert "is already up to date: nothing changed." in second.output
    assert stored(app) == [
        (DEMO_SLUG, "Putin's Nagorno-Karabakh Calculus Can Undermine Russian Clout in FSU", 27)
    ]


@pytest.fixture
def users_runner(app_ctx: Flask, runner: FlaskCliRunner) -> FlaskCliRunner:
    """`flask users` commands expect the app context `flask` itself would push."""
    return runner


def user(app: Flask, name: str) -> User | None:
    with app.app_context():
        found = db.session.scalar(select(User).where(User.username == name))
        if found is not None:
            db.session.expunge(found)
        return found


def test_users_create_reads_the_password_from_stdin(
    app: Flask, users_runner: FlaskCliRunner
) -> None:
    result = users_runner.invoke(
        args=["users", "create", "Alice"], input="a long fine passphrase\n"
    )
    assert result.exit_code == 0, result.output
    assert result.output == "Created member alice.\n"
    created = user(app, "alice")
    assert created is not None
    assert check_password_hash(created.password_hash, "a long fine passphrase")


def test_users_create_takes_a_password_option_role_and_display_name(
    app: Flask, users_runner: FlaskCliRunner
) -> None:
    result = users_runner.invoke(
        args=[
            *("users", "create", "prof", "--password", "grading essays all night"),
            *("--role", "instructor", "--display-name", "Prof. Ада"),
        ]
    )
    assert result.exit_code == 0, result.output
    assert result.output == "Created instructor prof.\n"
    created = user(app, "prof")
    assert created is not None
    assert (created.role, created.display_name) == ("instructor", "Prof. Ада")
    assert check_password_hash(created.password_hash, "grading essays all night")


def test_users_create_refuses_an_unknown_role(users_runner: FlaskCliRunner) -> None:
    result = users_runner.invoke(
        args=["users", "create", "bob", "--password", "x" * 12, "--role", "god"]
    )
    assert result.exit_code == 2
    assert "Invalid value for '--role'" in result.output


def test_users_create_refuses_a_taken_name(app: Flask, users_runner: FlaskCliRunner) -> None:
    users_runner.invoke(args=["users", "create", "carol", "--password", "first of two passphrases"])
    result = users_runner.invoke(
        args=["users", "create", "Carol", "--password", "second of two passphrases"]
    )
    assert result.exit_code == 1
    assert "That username is taken." in result.output
    created = user(app, "carol")
    assert created is not None
    assert check_password_hash(created.password_hash, "first of two passphrases")


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short", "at least 8 characters"),
        ("password123", "commonly used passwords"),
        ("dave-is-my-name", "must not contain the username"),
        ("", "at least 8 characters"),
    ],
)
def test_users_create_refuses_a_weak_password_and_creates_nobody(
    app: Flask, users_runner: FlaskCliRunner, password: str, reason: str
) -> None:
    result = users_runner.invoke(args=["users", "create", "dave"], input=f"{password}\n")
    assert result.exit_code == 1
    assert reason in result.output
    assert user(app, "dave") is None


def test_a_revision_orphaning_most_notes_needs_force_on_the_command_line(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path, make
) -> None:
    path = write(tmp_path, "a.md", ARTICLE)
    runner.invoke(args=["articles", "import", str(path), "--slug", "small"])
    article = db.session.scalar(select(Article).where(Article.slug == "small"))
    first = db.session.scalars(
        select(Block).where(Block.article_id == article.id, Block.kind == "paragraph")
    ).first()
    make.annotation(make.user(), article, anchor=first.anchor)
    path.write_text("# A Small Article\n\nNothing of the old text is left.\n", "utf-8")
    refused = runner.invoke(args=["articles", "import", str(path), "--slug", "small"])
    assert refused.exit_code != 0
    assert "Run again with --force" in refused.output
    forced = runner.invoke(args=["articles", "import", str(path), "--slug", "small", "--force"])
    assert forced.exit_code == 0, forced.output
    assert "Annotations: 0 anchored, 0 reanchored, 1 orphaned." in forced.output
