"""`flask users ...`: account administration from the shell."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from app.extensions import db
from app.models import Role
from app.services import accounts
from app.services.errors import DomainError
from app.services.users import create_user, get_user


@click.group(cls=AppGroup, help="Manage accounts.")
def users() -> None:
    pass


@users.command("create", help="Create an account; the password is read from stdin.")
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.MEMBER.value)
@click.option("--password", help="The password (default: read from standard input).")
@click.option("--display-name", help="The name shown beside annotations (default: NAME).")
def create(name: str, role: str, password: str | None, display_name: str | None) -> None:
    if password is None:
        if sys.stdin.isatty():
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        else:
            password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = create_user(name, password, display_name=display_name, role=role)
    except DomainError as exc:
        db.session.rollback()
        details = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
        raise click.ClickException(f"{exc.message} {details}".strip()) from None
    db.session.commit()
    click.echo(f"Created {user.role} {user.username}.")


@users.command("reset-password", help="Mail NAME a password-reset link (or print it).")
@click.argument("name")
@click.option("--print", "print_link", is_flag=True, help="Print the link instead of mailing it.")
def reset_password(name: str, print_link: bool) -> None:
    user = get_user(name)
    if user is None or user.deleted_at is not None:
        raise click.ClickException(f"No account is called {name!r}.")
    if user.disabled_at is not None:
        raise click.ClickException(f"{user.username} is disabled; enable it first.")
    if print_link or user.email is None:
        if user.email is None and not print_link:
            click.echo(f"{user.username} has no confirmed address; give them this link:", err=True)
        click.echo(accounts.reset_link(user))
        return
    accounts.mail_reset_link(user)
    db.session.commit()
    click.echo(f"A reset link for {user.username} is in the outbox; `flask mail send` sends it.")
