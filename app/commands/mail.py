"""`flask mail ...`: sending the outbox and queuing digests, for cron or a systemd timer."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from app.extensions import db
from app.mailer import transport_for
from app.models.base import utcnow
from app.services import outbox, reminders


@click.group(cls=AppGroup, help="Send mail from the outbox.")
def mail() -> None:
    pass


@mail.command("send", help="Queue mail for new notifications, then send everything due.")
@click.option("--limit", default=500, show_default=True, help="Most messages to send this run.")
@click.option(
    "--lease",
    default=int(outbox.LEASE.total_seconds()),
    show_default=True,
    help="Seconds after which a message claimed by a sender that died is tried again.",
)
def send(limit: int, lease: int) -> None:
    queued = outbox.collect_notifications()
    db.session.commit()
    report = outbox.send_due(transport_for(current_app), limit, timedelta(seconds=lease))
    click.echo(
        f"Queued {queued}; sent {report.sent}, deferred {report.deferred}, failed {report.failed}."
    )
    for error in report.errors:
        click.echo(error, err=True)
    if report.deferred:
        # Non-zero, so cron mails the operator; the messages wait for the next run.
        raise SystemExit(75)  # EX_TEMPFAIL


@mail.command(
    "digest",
    help="Remind members of readings due tomorrow, then queue the daily digests that are due "
    "(run once a day, or more often: nothing is queued twice).",
)
def digest() -> None:
    reminded = reminders.notify_due_tomorrow(utcnow().date())
    queued = outbox.queue_digests()
    db.session.commit()
    click.echo(f"Reminded {reminded}; queued {queued} digest{'s' if queued != 1 else ''}.")
