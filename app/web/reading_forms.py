"""The forms of the reading pages: bring an article, publish it, revise it, re-attach a note."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, HiddenField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from app.importing import ArticleDraft

MARKUPS = [("md", "Markdown"), ("txt", "Plain text"), ("html", "HTML")]
UPLOAD_HINT = "A .md, .txt or .html file of at most 2 MiB; it is used instead of pasted text."


class SourceForm(FlaskForm):
    source = TextAreaField(
        "Paste the text", description="Markdown, plain text, or the HTML of a saved page."
    )
    # Drawn as a <select> by the template (readings/_source_fields.html).
    markup = StringField(
        "The pasted text is",
        default="md",
        validators=[AnyOf([value for value, _label in MARKUPS], "Choose Markdown, text or HTML.")],
    )
    upload = FileField("Or upload a file", description=UPLOAD_HINT)


class ReviseForm(SourceForm):
    confirm = BooleanField("Apply it anyway: orphaned annotations stay at the article's end")


class PublishForm(FlaskForm):
    source = HiddenField()
    markup = HiddenField()
    title = StringField(
        "Title", validators=[DataRequired("Give the article a title."), Length(max=300)]
    )
    author = StringField("Byline", validators=[Optional(), Length(max=200)])
    published = DateField("Date", validators=[Optional()])
    slug = StringField(
        "Address",
        validators=[DataRequired("Choose the article's address.")],
        description="Its name in links: lowercase letters a–z, digits and dashes.",
    )

    def fill_from(self, draft: ArticleDraft) -> None:
        """What the importer found, for the person to correct."""
        self.title.data = draft.title
        self.author.data = draft.author or ""
        self.published.data = draft.published
        self.slug.data = draft.slug


class ReattachForm(FlaskForm):
    anchor = StringField("Paragraph", validators=[DataRequired()])
    quote_text = StringField(
        "Words to quote (optional)",
        validators=[Optional(), Length(max=2000)],
        description="Exactly as they appear in that paragraph; leave empty for the whole of it.",
    )

    # Filled by static/js/reattach.js from the reader's selection: the words either side.
    quote_prefix = HiddenField()
    quote_suffix = HiddenField()

    def quote(self) -> tuple[str, str, str] | None:
        words = (self.quote_text.data or "").strip()
        if not words:
            return None
        return words, self.quote_prefix.data or "", self.quote_suffix.data or ""
