"""The outbox against a real SMTP server: what arrives, once, and what happens when it fails."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.mailer import transport_for
from app.models import OutboxMessage, OutboxStatus
from app.models.base import utcnow
from app.services import outbox
from app.services.errors import ValidationFailed
from app.services.feedback import give_feedback
from app.services.groups import assign_reading, leave_group
from app.services.moderation import moderate_annotation
from tests.factories import login

ROOT = Path(__file__).resolve().parents[3]


def _reply(make, to, by, body="I *disagree*, and here is why.", kind="comment"):  # type: ignore[no-untyped-def]
    article = make.article()
    root = make.annotation(to, article, body="A claim.")
    return make.annotation(by, article, parent=root, body=body, kind=kind)


def _make_due() -> None:
    db.session.execute(update(OutboxMessage).values(next_attempt_at=OutboxMessage.created_at))
    db.session.commit()


def _statuses() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))


def test_a_reply_is_mailed_at_once_with_both_parts_and_a_working_one_click_unsubscribe(
    app, client, make, smtp, deliver, mailbox_user
) -> None:
    ann = mailbox_user("ann", reply="immediately")
    bob = make.user("bob", display_name="Bob Reader")
    _reply(make, ann, bob, body="I *disagree*. <script>alert(1)</script>")

    report = deliver()

    assert report.sent == 1
    [mail] = smtp.received
    assert mail.to == ["ann@example.edu"]
    assert mail.message["Subject"] == "Bob Reader replied to your annotation."
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "<em>disagree</em>" in mail.html  # the stored safe rendering
    assert "<script>" not in mail.html
    assert "&lt;script&gt;" in mail.html
    assert "I *disagree*." in mail.text
    # The link in the mail opens the note in its discussion once Ann signs in.
    login(client, "ann")
    opened = client.get(mail.path_of("/notifications/"))
    assert opened.status_code == 302
    assert "/articles/" in opened.location
    # One click from the mail client (RFC 8058): no page, no CSRF token, the kind is off.
    unsubscribe = mail.message["List-Unsubscribe"].strip("<>")
    assert (
        app.test_client().post(unsubscribe, data={"List-Unsubscribe": "One-Click"}).status_code
        == 200
    )
    db.session.expire_all()
    assert outbox.settings_for(ann).choice("reply") == "never"


def test_sending_again_sends_nothing_twice(make, smtp, deliver, mailbox_user) -> None:
    ann = mailbox_user("ann", reply="immediately")
    _reply(make, ann, make.user("bob"))
    deliver()
    assert deliver().sent == 0
    assert len(smtp.received) == 1


def test_a_member_without_a_confirmed_address_or_who_said_never_gets_no_mail(
    make, smtp, deliver, mailbox_user
) -> None:
    quiet = mailbox_user("quiet", reply="never")
    unconfirmed = make.user("unconfirmed")
    unconfirmed.pending_email = "unconfirmed@example.edu"
    db.session.commit()
    bob = make.user("bob")
    _reply(make, quiet, bob)
    _reply(make, unconfirmed, bob)
    assert deliver().sent == 0
    assert smtp.received == []


def test_a_display_name_with_line_breaks_cannot_add_a_header(
    make, smtp, deliver, mailbox_user
) -> None:
    ann = mailbox_user("ann", reply="immediately")
    evil_name = "Eve\r\nBcc: victim@example.com\r\nX-Evil: 1"
    # Registration refuses control characters in a name now (issue 14, app/services/names.py);
    # the mail must still hold if one got in some other way (an account from before the rule).
    with pytest.raises(ValidationFailed):
        make.user("evil", display_name=evil_name)
    db.session.rollback()
    evil = make.user("evil")
    evil.display_name = evil_name
    db.session.commit()
    _reply(make, ann, evil)
    deliver()
    [mail] = smtp.received
    assert mail.to == ["ann@example.edu"]
    assert mail.message["Bcc"] is None
    assert mail.message["X-Evil"] is None
    assert "\n" not in mail.message["Subject"]


def test_a_server_that_is_down_keeps_the_mail_and_a_later_run_sends_it_once(
    app, runner, make, smtp, mailbox_user
) -> None:
    ann = mailbox_user("ann", reply="immediately")
    _reply(make, ann, make.user("bob"))
    server = app.config["MAIL_SERVER"]
    from app.config import MailServer
    from tests.functional.accounts.smtp import free_port

    app.config["MAIL_SERVER"] = MailServer("127.0.0.1", free_port())  # nobody listens there
    down = runner.invoke(args=["mail", "send"])
    assert down.exit_code == 75, down.output  # EX_TEMPFAIL: cron tells the operator
    assert "deferred 1" in down.output
    assert _statuses() == [OutboxStatus.QUEUED]

    app.config["MAIL_SERVER"] = server
    assert "sent 0" in runner.invoke(args=["mail", "send"]).output  # backing off
    _make_due()
    up = runner.invoke(args=["mail", "send"])
    assert up.exit_code == 0
    assert "sent 1" in up.output
    assert len(smtp.received) == 1


def test_a_refused_recipient_is_marked_failed_and_the_rest_still_go(
    app, make, smtp, mailbox_user
) -> None:
    ann, cy = mailbox_user("ann", reply="immediately"), mailbox_user("cyd", reply="immediately")
    bob = make.user("bob")
    _reply(make, ann, bob)
    _reply(make, cy, bob)
    outbox.collect_notifications()
    db.session.commit()
    smtp.mode = "refuse"
    report = outbox.send_due(transport_for(app))
    assert (report.failed, report.sent) == (2, 0)
    assert _statuses() == [OutboxStatus.FAILED, OutboxStatus.FAILED]
    smtp.mode = "accept"
    assert outbox.send_due(transport_for(app)).sent == 0  # refused for good: not retried


def test_a_deferring_a_vanishing_and_a_silent_server_each_leave_the_mail_queued(
    app, make, smtp, mailbox_user
) -> None:
    ann = mailbox_user("ann", reply="immediately")
    _reply(make, ann, make.user("bob"))
    outbox.collect_notifications()
    db.session.commit()
    smtp.hang_for = 3.0
    app.config["MAIL_TIMEOUT"] = 0.5
    for mode in ("defer", "drop", "hang"):
        smtp.mode = mode
        report = outbox.send_due(transport_for(app))
        assert report.deferred == 1, (mode, report)
        assert _statuses() == [OutboxStatus.QUEUED], mode
        _make_due()
    smtp.mode = "accept"
    assert outbox.send_due(transport_for(app)).sent == 1
    assert len(smtp.received) == 1  # nothing that failed arrived


def test_kill_9_between_sent_and_marked_sent_repeats_only_the_message_in_flight(
    app, make, smtp, mailbox_user, tmp_path
) -> None:
    people = [mailbox_user(f"reader{n}", reply="immediately") for n in range(5)]
    bob = make.user("bob")
    for person in people:
        _reply(make, person, bob)
    outbox.collect_notifications()
    db.session.commit()
    env = {
        **os.environ,
        "COUNTERPOINT_ENV": "testing",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "MAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
    }
    log = (tmp_path / "sender.log").open("wb")
    sender = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "mail", "send"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip

    def kill_after_second(count: int) -> None:
        if count == 2:  # the server has the 2nd message; the sender has not marked it sent
            os.kill(sender.pid, signal.SIGKILL)
            sender.wait(timeout=10)

    smtp.after_data = kill_after_second
    sender.wait(timeout=60)
    log.close()
    assert sender.returncode == -signal.SIGKILL, (tmp_path / "sender.log").read_text()
    smtp.after_data = None
    assert len(smtp.received) == 2
    assert _statuses()[:2] == [OutboxStatus.SENT, OutboxStatus.SENDING]

    # A new run within the lease leaves the claimed one alone; after it, the one in flight
    # goes again and the rest go once.
    outbox.send_due(transport_for(app))
    assert OutboxStatus.SENDING in _statuses()
    outbox.send_due(transport_for(app), lease=timedelta(0))
    ids = [r.message["Message-ID"] for r in smtp.received]
    assert len(ids) == 6
    assert len(set(ids)) == 5
    assert ids.count(ids[1]) == 2  # the one in flight, with the same Message-ID both times
    assert _statuses() == [OutboxStatus.SENT] * 5


def test_the_digest_gathers_a_day_of_notifications_into_one_mail(
    runner, make, smtp, deliver, mailbox_user
) -> None:
    ann = mailbox_user("ann", reply="digest", counter="digest")
    bob, cy = make.user("bob", display_name="Bob"), make.user("cyd", display_name="Cy")
    _reply(make, ann, bob, body="First reply.")
    _reply(make, ann, cy, body="A counter.", kind="counterargument")
    assert deliver().sent == 0  # the digest waits

    assert "queued 1 digest." in runner.invoke(args=["mail", "digest"]).output
    assert "queued 0 digests." in runner.invoke(args=["mail", "digest"]).output
    deliver()
    [digest] = smtp.received
    assert digest.message["Subject"] == "Counterpoint: 2 new notifications"
    assert "Bob replied to your annotation." in digest.text
    assert "Cy countered your annotation." in digest.text
    assert "First reply." in digest.html
    assert "A counter." in digest.html


def test_a_note_hidden_since_the_notification_is_mailed_without_its_body(
    make, smtp, deliver, mailbox_user
) -> None:
    ann = mailbox_user("ann", reply="immediately")
    admin = make.user("boss", role="admin")
    reply = _reply(make, ann, make.user("bob"))
    moderate_annotation(admin, reply, "hide")
    db.session.commit()
    deliver()
    [mail] = smtp.to("ann@example.edu")
    assert "replied to your annotation" in mail.text
    assert "disagree" not in mail.text
    assert "disagree" not in mail.html


def test_a_note_the_reader_may_no_longer_see_is_not_mailed_at_all(
    make, smtp, deliver, mailbox_user
) -> None:
    ann, teacher = mailbox_user("ann", reply="immediately"), make.user("teach", role="instructor")
    article = make.article()
    group = make.groups.group(teacher, "Seminar", articles=(article,))
    bob = make.user("bob")
    make.groups.join(ann, group)
    make.groups.join(bob, group)
    root = make.groups.group_note(ann, article, group)
    make.groups.group_note(bob, article, group, parent=root, body="Secret reply.")
    leave_group(ann, group)
    db.session.commit()
    assert deliver().sent == 0
    assert smtp.received == []


def test_feedback_on_your_own_group_note_is_not_mailed_after_you_leave_the_group(
    make, smtp, deliver, mailbox_user
) -> None:
    # The copies' rule (notifications, excerpts, mail): group words stop once you leave, even
    # words about your own note.
    ann, teacher = (
        mailbox_user("ann", feedback="immediately"),
        make.user("teach", role="instructor"),
    )
    article = make.article()
    group = make.groups.group(teacher, "Seminar", articles=(article,))
    make.groups.join(ann, group)
    mine = make.groups.group_note(ann, article, group)
    give_feedback(teacher, mine, "Marker-word: sharpen the claim.")
    leave_group(ann, group)
    db.session.commit()
    assert deliver().sent == 0
    assert smtp.received == []


def test_without_mail_url_development_writes_eml_files(app, make, deliver, mailbox_user) -> None:
    ann = mailbox_user("ann", reply="immediately")
    _reply(make, ann, make.user("bob"))
    folder = Path(app.instance_path) / "mail"
    before = set(folder.glob("*.eml")) if folder.exists() else set()
    assert app.config["MAIL_SERVER"] is None
    assert deliver().sent == 1
    [written] = set(folder.glob("*.eml")) - before
    assert b"To: ann@example.edu" in written.read_bytes()
    written.unlink()


def test_a_new_reading_and_the_day_before_it_is_due_are_told_to_the_group(
    runner, make, smtp, deliver, mailbox_user
) -> None:
    teacher = make.user("teach", role="instructor", display_name="Ms Teach")
    ann = mailbox_user("ann", reading="immediately", due="immediately")
    group = make.groups.group(teacher, "Seminar")
    make.groups.join(ann, group)
    article = make.article(title="The Essay")
    assign_reading(teacher, group, article, due_on=utcnow().date() + timedelta(days=1))
    db.session.commit()
    assert "Reminded 2;" in runner.invoke(args=["mail", "digest"]).output
    assert "Reminded 0;" in runner.invoke(args=["mail", "digest"]).output
    deliver()
    subjects = sorted(m.message["Subject"] for m in smtp.to("ann@example.edu"))
    assert subjects[0].startswith("Due tomorrow (")
    assert subjects[0].endswith("in Seminar: The Essay.")
    assert subjects[1] == "Ms Teach assigned a new reading in Seminar: The Essay."


def test_queuing_mail_runs_as_many_statements_for_8_notifications_as_for_2(
    app, make, count_queries, mailbox_user
) -> None:
    """Each notification's note was read in its own query, and each mail looked for its key
    and was inserted on its own: the mail run grew with the notifications."""
    ann, bea = mailbox_user("ann", reply="immediately"), mailbox_user("bea", reply="digest")
    bob, article = make.user("bob"), make.article()
    roots = [make.annotation(reader, article, body="A claim.") for reader in (ann, bea)]

    def reply(times: int) -> None:
        for n in range(times):
            for root in roots:
                make.annotation(bob, article, parent=root, body=f"No, because {n}.")

    def statements(work) -> int:  # type: ignore[no-untyped-def]
        with app.app_context(), count_queries() as queries:  # a run of its own, as the CLI's
            work()
            db.session.commit()
        return len(queries)

    reply(2)
    few = statements(outbox.collect_notifications), statements(outbox.queue_digests)
    reply(8)
    later = utcnow() + timedelta(days=1)
    many = statements(outbox.collect_notifications), statements(lambda: outbox.queue_digests(later))
    assert many == few
    db.session.rollback()
    mails = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [m.to_addr for m in mails].count("ann@example.edu") == 10
    assert [m.to_addr for m in mails].count("bea@example.edu") == 2  # a digest each time
    assert "No, because 7." in mails[-1].text_body  # the notes are in the mail
