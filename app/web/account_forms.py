"""The forms of the account pages: email, password reset, mail choices, deleting an account."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from app.web.forms import NewPasswordForm


class EmailForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[DataRequired("Enter an email address.")],
        description="We mail a link to confirm it. Other members never see it.",
    )


class ForgotForm(FlaskForm):
    email = EmailField(
        "Your email address",
        validators=[DataRequired("Enter the email address of your account.")],
    )


class ResetForm(NewPasswordForm):
    """The page a reset link opens: no current password (the link stands in for it)."""


class ProfileForm(FlaskForm):
    display_name = StringField(
        "Display name",
        validators=[
            DataRequired("Enter a display name."),
            Length(max=80, message="Use at most 80 characters."),
        ],
        description="Shown beside what you write.",
    )


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        "Your password", validators=[DataRequired("Enter your password to confirm.")]
    )


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField("Find people", validators=[Length(max=100)])
