"""Where an article's argument is: how contested each block is, and the open questions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import Annotation, AnnotationKind, AnnotationStatus, Article, Block
from app.services import reading

OPEN_QUESTIONS = 50  # the overview lists at most this many, oldest first
TOP_CONTESTED = 10


@dataclass(frozen=True)
class Heat:
    """How much a block is discussed and how contested it is, in words as well as numbers."""

    total: int
    support: int
    against: int
    questions: int

    @property
    def contested(self) -> float:
        """Counterarguments against support, 0..1 (0.5: as many for as against)."""
        argued = self.support + self.against
        return self.against / argued if argued else 0.0

    @property
    def stance(self) -> str:
        if not self.support and not self.against:
            return "questions and comments" if self.total else ""
        if self.against and self.against >= self.support:
            return "contested"
        if self.against:
            return "disputed"
        return "supported"

    @property
    def words(self) -> str:
        """'contested: 3 against, 1 for' (what a screen reader and a glance both get)."""
        if not self.total:
            return "no discussion yet"
        parts = [f"{self.total} note{'' if self.total == 1 else 's'}"]
        if self.against or self.support:
            parts.append(f"{self.against} against, {self.support} for")
        return f"{self.stance}: " + ", ".join(parts) if self.stance else parts[0]

    @property
    def level(self) -> int:
        """0–4: how much discussion, for the strip's bar (a length, never only a colour)."""
        return min(4, (self.total + 1) // 2) if self.total else 0


def heat_of(counts: dict[str, int]) -> Heat:
    return Heat(
        total=sum(counts.values()),
        support=counts.get(AnnotationKind.SUPPORT, 0),
        against=counts.get(AnnotationKind.COUNTERARGUMENT, 0),
        questions=counts.get(AnnotationKind.QUESTION, 0),
    )


@dataclass(frozen=True)
class ContestedBlock:
    block: Block
    number: int
    heat: Heat


@dataclass(frozen=True)
class Overview:
    contested: list[ContestedBlock]
    questions: list[Annotation]
    numbers: dict[int, int]  # block id → its place among the blocks of its kind


def overview(user: Any, article: Article, scope: ColumnElement[bool] | None) -> Overview:
    """The most contested blocks and the open questions: three queries, whatever the size."""
    blocks = reading.list_blocks(article)
    numbers = reading.numbered(blocks)
    return Overview(
        most_contested(user, article, scope, blocks, numbers),
        open_questions(user, article, scope),
        numbers,
    )


def most_contested(
    user: Any,
    article: Article,
    scope: ColumnElement[bool] | None,
    blocks: list[Block],
    numbers: dict[int, int],
    limit: int = TOP_CONTESTED,
) -> list[ContestedBlock]:
    """Blocks with counterarguments, most contested first (then most argued): one query."""
    counts = reading.block_counts(user, article, scope)
    ranked = [
        ContestedBlock(b, numbers[b.id], heat_of(counts.get(b.id, {})))
        for b in blocks
        if counts.get(b.id, {}).get(AnnotationKind.COUNTERARGUMENT)
    ]
    ranked.sort(key=lambda c: (-c.heat.contested, -c.heat.against, -c.heat.total, c.block.position))
    return ranked[:limit]


def open_questions(
    user: Any, article: Article, scope: ColumnElement[bool] | None, limit: int = OPEN_QUESTIONS
) -> list[Annotation]:
    """Visible questions no reply answers yet, oldest first, with author and block: one query."""
    answer = aliased(Annotation)
    answered = exists().where(
        answer.parent_id == Annotation.id,
        answer.is_answer.is_(True),
        answer.status == AnnotationStatus.VISIBLE,
    )
    rule = reading.scoped_filter(user, scope)
    stmt = (
        reading.with_author_and_block(
            select(Annotation).where(
                and_(
                    Annotation.article_id == article.id,
                    Annotation.kind == AnnotationKind.QUESTION,
                    Annotation.status == AnnotationStatus.VISIBLE,
                    rule,
                    ~answered,
                )
            )
        )
        .order_by(Annotation.created_at, Annotation.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))
