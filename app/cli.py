"""Registers the `flask` command groups."""

from __future__ import annotations

from flask import Flask

from app.commands import articles, backup, mail, users


def init_app(app: Flask) -> None:
    app.cli.add_command(users.users)
    app.cli.add_command(mail.mail)
    app.cli.add_command(articles.articles)
    app.cli.add_command(articles.demo)
    app.cli.add_command(backup.backup_command)
    app.cli.add_command(backup.restore_command)
