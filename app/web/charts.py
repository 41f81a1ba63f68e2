"""Chart geometry for server-drawn SVG: numbers in, rectangles out. Templates draw them (so
every label is escaped by Jinja) next to a table holding the same numbers.

The pages' security checks allow an <svg> start tag only as the templates write it, literally,
so every chart has a fixed viewBox: long charts are drawn as panels of CHUNK rows each. The SVG
is a picture for the eye (aria-hidden); the table beside it is what assistive technology reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from app.models import AnnotationKind, Block
from app.services.insight import MemberActivity

WIDTH = 640
ROW = 22  # one member's bar
CHUNK = 25  # rows per panel: the templates' viewBox is 0 0 640 554
LABEL = 150  # room for names left of the bars
NAME_ROOM = 22  # characters of a name that fit in LABEL
DAY_HEIGHT = 160
KINDS = tuple(AnnotationKind)


@dataclass(frozen=True)
class Segment:
    kind: str
    x: float
    width: float
    value: int


@dataclass(frozen=True)
class MemberBar:
    label: str  # the name, shortened to fit left of the bar
    y: float
    total: int
    segments: list[Segment]
    value_x: float  # where the total is written, after the bar


@dataclass(frozen=True)
class MemberChart:
    label_width: int
    panels: list[list[MemberBar]]
    most: int


def member_chart(members: list[MemberActivity]) -> MemberChart:
    """One horizontal bar per member, split by kind of note."""
    most = max((m.notes for m in members), default=0) or 1
    span = WIDTH - LABEL - 40
    bars = []
    for row, member in enumerate(members):
        x, segments = float(LABEL), []
        for kind in KINDS:
            value = member.counts.get(kind, 0)
            if value:
                width = span * value / most
                segments.append(Segment(kind, round(x, 1), round(width, 1), value))
                x += width
        y = (row % CHUNK) * ROW
        value_x = segments[-1].x + segments[-1].width + 4 if segments else LABEL + 4
        label = shorten(member.user.display_name, NAME_ROOM)
        bars.append(MemberBar(label, y, member.notes, segments, value_x))
    return MemberChart(LABEL, _panels(bars), most)


def shorten(text: str, room: int) -> str:
    """`text` cut to `room` characters with an ellipsis, as Jinja's truncate(room, True, '…')
    does (which lets a text run up to 5 characters over before cutting it)."""
    return text if len(text) <= room + 5 else text[: room - 1] + "…"


def _panels(rows: list[Any]) -> list[list[Any]]:
    return [rows[n : n + CHUNK] for n in range(0, len(rows), CHUNK)]


@dataclass(frozen=True)
class DayBar:
    day: date
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class DayChart:
    bars: list[DayBar]
    most: int


def day_chart(per_day: list[tuple[date, int]]) -> DayChart:
    """Notes written per day, as columns from the first day with a note to the last."""
    most = max((n for _, n in per_day), default=0) or 1
    step = min(WIDTH / max(len(per_day), 1), 48)  # a few days stay bars, not slabs
    bars = []
    for index, (day, value) in enumerate(per_day):
        height = (DAY_HEIGHT - 20) * value / most
        bars.append(
            DayBar(
                day,
                value,
                round(index * step, 1),
                round(DAY_HEIGHT - 20 - height, 1),
                round(max(step - 1, 0.5), 1),
                round(height, 1),
            )
        )
    return DayChart(bars, most)


@dataclass(frozen=True)
class HeatCell:
    block: Block
    value: int
    y: float
    shade: float  # 0 (no notes) to 1 (the busiest paragraph)

    @property
    def label(self) -> str:
        return shorten(self.block.anchor, 10)

    @property
    def opacity(self) -> str:
        """The cell's fill-opacity: never quite blank, so an empty paragraph still shows."""
        return f"{0.08 + 0.92 * self.shade:.2f}"


@dataclass(frozen=True)
class HeatMap:
    panels: list[list[HeatCell]]
    cells: list[HeatCell]
    most: int


def heat_map(blocks: list[Block], per_block: dict[int, int]) -> HeatMap:
    """The article's paragraphs in reading order, shaded by how many notes each drew."""
    most = max(per_block.values(), default=0) or 1
    cells = [
        HeatCell(
            block, per_block.get(block.id, 0), (n % CHUNK) * ROW, per_block.get(block.id, 0) / most
        )
        for n, block in enumerate(blocks)
    ]
    return HeatMap(_panels(cells), cells, most)
