"""The HTML forms: Flask-WTF parses them and checks CSRF; the services judge the content."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length

from app.models import AnnotationKind
from app.services.annotations import NewAnnotation, Quote
from app.services.errors import DomainError

# Fields whose errors are shown for the whole form: filled by the page's script, or a checkbox.
HIDDEN_FIELDS = frozenset(
    {"parent", "quote_exact", "quote_prefix", "quote_suffix", "next", "private", "remember"}
)


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired("Enter your username.")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])
    remember = BooleanField("Keep me signed in on this device")
    next = HiddenField()


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
    password = PasswordField(
        "Password",
        validators=[DataRequired("Choose a password.")],
        description="At least 8 characters; not a common password.",
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[
            DataRequired("Type the password again."),
            EqualTo("password", message="The two passwords differ."),
        ],
    )
    next = HiddenField()


class AnnotationForm(FlaskForm):
    """A new annotation or a reply (when `parent` is set); the quote fields are filled by JS."""

    # A <select> in the page; the service checks the kind and names it in its error.
    kind = StringField("Kind", default=AnnotationKind.COMMENT.value)
    body = TextAreaField("Your note")
    parent = HiddenField()
    private = BooleanField("Private note: only I can see it")
    quote_exact = HiddenField()
    quote_prefix = HiddenField()
    quote_suffix = HiddenField()

    def parent_id(self) -> int | None:
        raw = (self.parent.data or "").strip()
        return int(raw) if raw.isdigit() else None

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
        )


class EditForm(FlaskForm):
    kind = StringField("Kind")
    body = TextAreaField("Your note")


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
