"""The HTML forms: Flask-WTF parses them and checks CSRF; the services judge the content."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional

from app.models import AnnotationKind, FlagReason
from app.routing import parse_id
from app.services.annotations import NewAnnotation, Quote
from app.services.errors import DomainError
from app.services.groups import MAX_HELD_POSTS
from app.services.moderation import MAX_REASON, MAX_SUSPENSION
from app.services.users import MIN_PASSWORD
from app.web.present import safe_next

# Fields whose errors are shown for the whole form: filled by the page's script, or a checkbox.
HIDDEN_FIELDS = frozenset(
    {
        "parent",
        "quote_exact",
        "quote_prefix",
        "quote_suffix",
        "next",
        "private",
        "remember",
        "group",
    }
)


class NextField(HiddenField):
    """Where to go back to: only ever a path on this site (app.web.present.safe_next), or "".

    The one door for `next`: whatever the query string or the posted form says is checked as it
    is read, so a failed form shown again (its Cancel link, its hidden field) cannot carry
    `javascript:` or `//evil.example` any more than a redirect can.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("default", _next_from_query)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def process_formdata(self, valuelist: list[str]) -> None:
        if valuelist:
            self.data = safe_next(valuelist[0]) or ""


def _next_from_query() -> str:
    return safe_next(request.args.get("next")) or ""


# Said from the policy itself, so the hint cannot drift from what is enforced.
PASSWORD_HINT = f"At least {MIN_PASSWORD} characters; not a common password."


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired("Enter your username.")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])
    remember = BooleanField("Keep me signed in on this device")
    next = NextField()


class RegisterForm(FlaskForm):
    username = StringField(
        "Username",
        validators=[DataRequired("Choose a username.")],
        description="3–40 lower-case letters, digits, dots, dashes or underscores.",
    )
    display_name = StringField(
        "Display name",
        validators=[Length(max=80, message="Use at most 80 characters.")],
        description="Shown beside what you write. Leave empty to use your username.",
    )
    email = EmailField(
        "Email address",
        validators=[DataRequired("Enter your email address.")],
        description="For a confirmation link, password resets and the mail you choose to get. "
        "Other members never see it.",
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired("Choose a password.")],
        description=PASSWORD_HINT,
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[
            DataRequired("Type the password again."),
            EqualTo("password", message="The two passwords differ."),
        ],
    )
    next = NextField()


class AnnotationForm(FlaskForm):
    """A new annotation or a reply (when `parent` is set); the quote fields are filled by JS."""

    # A <select> in the page; the service checks the kind and names it in its error.
    kind = StringField("Kind", default=AnnotationKind.COMMENT.value)
    body = TextAreaField("Your note")
    parent = HiddenField()
    private = BooleanField("Private note: only I can see it")
    group = HiddenField()  # the group whose discussion the page shows, if any
    quote_exact = HiddenField()
    quote_prefix = HiddenField()
    quote_suffix = HiddenField()

    def parent_id(self) -> int | None:
        return parse_id((self.parent.data or "").strip())

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        # Not an id (or out of range): it names no annotation, so there is nothing to reply to.
        # A hidden field's mistake is the form's own, as add_errors reports the service's.
        if (self.parent.data or "").strip() and self.parent_id() is None:
            self.form_errors.append("No such annotation to reply to.")
            return False
        return valid

    def to_new(self, anchor: str) -> NewAnnotation:
        quote = None
        if self.quote_exact.data:
            quote = Quote(
                self.quote_exact.data, self.quote_prefix.data or "", self.quote_suffix.data or ""
            )
        return NewAnnotation(
            anchor=anchor,
            kind=self.kind.data or "comment",
            body=self.body.data or "",
            parent_id=self.parent_id(),
            quote=quote,
            private=bool(self.private.data),
            # A private note written in a group's view is the author's own, not the group's.
            group_slug=None if self.private.data else (self.group.data or "").strip() or None,
        )


class EditForm(FlaskForm):
    kind = StringField("Kind")
    body = TextAreaField("Your note")
    next = HiddenField()  # the page edited on, when the page's script edits in place


FLAG_REASONS = [
    (FlagReason.OFF_TOPIC.value, "Off-topic"),
    (FlagReason.DISRESPECTFUL.value, "Disrespectful"),
    (FlagReason.SPAM.value, "Spam"),
    (FlagReason.OTHER.value, "Something else"),
]


# What an instructor may pick as the reason to hide a note (the author is told it); free text
# may add to it or replace it.
HIDE_REASONS = [
    "Off topic for this reading",
    "Disrespectful to someone",
    "Spam or advertising",
    "A claim of fact without a source",
]


def hide_reason(preset: str | None, text: str | None) -> str:
    """The reason a moderator gave: a preset, free text, or both ("Preset: text")."""
    chosen = (preset or "").strip()
    chosen = chosen if chosen in HIDE_REASONS else ""
    said = (text or "").strip()
    return f"{chosen}: {said}" if chosen and said else chosen or said


class ActionForm(FlaskForm):
    """A one-button action; `next` is where to go back to (checked by safe_next)."""

    next = NextField()


class FlagForm(ActionForm):
    # A <select> of FLAG_REASONS in the page; the service names an unknown reason itself.
    reason = StringField("What is wrong?", default=FlagReason.OFF_TOPIC.value)
    details = TextAreaField("Details", description="Optional, unless you chose “Something else”.")


class ToggleForm(ActionForm):
    """A mark set or taken back (helpful, answer): `undo` says which."""

    undo = BooleanField("Take it back")


class ModerateForm(ActionForm):
    action = StringField("Action", validators=[DataRequired("Choose an action.")])
    preset = StringField("Reason")  # one of HIDE_REASONS, from a <select>
    reason = StringField("Reason")


class FeedbackForm(ActionForm):
    body = TextAreaField("Private feedback")


class GroupForm(FlaskForm):
    name = StringField(
        "Group name",
        validators=[DataRequired("Give the group a name.")],
        description="For example “Politics 101, spring term”. Members see it.",
    )


class JoinForm(FlaskForm):
    join_code = StringField(
        "Join code",
        validators=[DataRequired("Enter the code your instructor gave you.")],
        description="Eight letters and digits; dashes and spaces do not matter.",
    )


class ReadingForm(FlaskForm):
    article = StringField("Article", validators=[DataRequired("Choose an article.")])
    due_on = DateField("Due (optional)", validators=[Optional()], format="%Y-%m-%d")


class ReasonForm(ActionForm):
    reason = StringField("Reason")


class RoleForm(ActionForm):
    role = StringField("Role", validators=[DataRequired("Choose a role.")])


# The services' limits the pages' inputs state (template global LIMITS).
LIMITS = {
    "reason": MAX_REASON,
    "suspension_days": MAX_SUSPENSION.days,
    "held_posts": MAX_HELD_POSTS,
}


class SuspendForm(ActionForm):
    days = IntegerField(
        "Days",
        default=3,
        validators=[
            DataRequired("Say for how many days."),
            NumberRange(1, MAX_SUSPENSION.days, f"Suspend for 1 to {MAX_SUSPENSION.days} days."),
        ],
    )
    reason = StringField("Reason")


class PremoderationForm(FlaskForm):
    # Radio buttons in the page (off, new_members, all); the service checks the mode.
    mode = StringField("Hold posts for approval", validators=[DataRequired("Choose a mode.")])
    posts = IntegerField(
        "How many first posts",
        default=3,
        validators=[
            Optional(),
            NumberRange(1, MAX_HELD_POSTS, f"Hold between 1 and {MAX_HELD_POSTS} posts."),
        ],
    )


class ArchiveForm(FlaskForm):
    archived = HiddenField()


def add_errors(form: FlaskForm, exc: DomainError) -> dict[str, str]:
    """Put a domain error's messages on the form's fields; returns them by field name.

    Messages about things the form has no visible field for (anchor, quote, parent) are the
    form's own errors, reported under "form".
    """
    errors: dict[str, str] = {}
    for name, message in (exc.fields or {"form": exc.message}).items():
        field = form._fields.get(name)
        if field is not None and name not in HIDDEN_FIELDS:
            field.errors = [*field.errors, message]
            errors[name] = message
        else:
            form.form_errors.append(message)
            errors["form"] = " ".join(form.form_errors)
    return errors


def form_errors(form: FlaskForm) -> dict[str, str]:
    """The first message of each field that failed the form's own validation."""
    errors = {name: msgs[0] for name, msgs in form.errors.items() if name and msgs}
    if form.form_errors:
        errors["form"] = " ".join(form.form_errors)
    return errors


class NewPasswordForm(FlaskForm):
    """A new password, typed twice (the reset page; the account page adds the current one)."""

    new_password = PasswordField(
        "New password",
        validators=[DataRequired("Choose a new password.")],
        description=PASSWORD_HINT,
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[
            DataRequired("Type the new password again."),
            EqualTo("new_password", message="The two passwords differ."),
        ],
    )


class PasswordForm(NewPasswordForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password.")]
    )
