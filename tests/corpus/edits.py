"""The edit corpus: realistic revisions of three articles, with where every annotation belongs.

Each edit applies literal replacements to an article's Markdown source. Each note names the
words it quotes in the original (or, with `block`, a whole block by its opening words) and
where it must be afterwards: `expect` the words its quote must cover now (in the block that
contains `expect_in`, when those words occur more than once), or ORPHAN when its text is gone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ORPHAN = "<orphan>"

COMMONS = """# The Commons and the Classroom

By Ines Castillo

March 3, 2024

## A shared pasture

Garrett Hardin's 1968 essay imagined a pasture open to all, where each herder adds one more cow because the gain is his and the cost is shared. The conclusion seemed inescapable: common resources are doomed to ruin unless they are enclosed or regulated from above.

Elinor Ostrom spent her career showing that the conclusion was wrong, or at least premature. In Swiss alpine meadows, Japanese forests and Spanish irrigation huertas, communities had governed shared resources for centuries without either privatisation or a distant state.

What those communities had in common was not altruism. It was a set of rules that the users themselves made, monitored and enforced, with graduated sanctions for those who broke them.

## Why it matters for teaching

A classroom discussion is a commons of a sort. Attention is the shared resource, and every student who speaks at length draws on it. The teacher who simply enforces rules from above may keep order but rarely builds a culture of argument.

Students who help write the rules of a seminar tend to keep them. They notice when a classmate dominates, and they say so, often more gently than a teacher would.

None of this means that rules are unnecessary. It means that rules work best when the people bound by them recognise them as their own.

## Objections

Critics point out that Ostrom's cases were small, stable and isolated. A lecture hall of three hundred first-year students is none of those things, and the comparison may flatter the seminar.

Others argue that the commons framing hides the teacher's power. However participatory the rules, the teacher still grades the work, and students know it.

These objections are serious. They suggest that the lesson of the commons is not a recipe but a question: who makes the rules here, and who enforces them?
"""

HEAT = """# Cities Are Getting Hotter Than the Climate

By Tomas Ferreira

July 19, 2023

## The island effect

On a still summer night, the centre of a large city can be eight degrees warmer than the farmland around it. Asphalt and brick soak up the day's heat and release it slowly after dark, while the countryside cools.

The effect has been measured since the 1810s, when Luke Howard noticed that London's thermometers read higher than those in the villages nearby. What has changed is its scale: more people live in cities than ever, and the nights are warming faster than the days.

Heat kills quietly. Most deaths in a heat wave happen indoors, among older people living alone, and many are recorded as heart failure rather than heat.

## What cities are trying

Paris has opened "cool islands" in schoolyards, replacing asphalt with trees and permeable ground. Schoolyards were chosen because every neighbourhood has one, and because children are among the most vulnerable.

Los Angeles has painted streets with a light grey coating that reflects sunlight. Early measurements showed surface temperatures falling by several degrees, though the air above changed less.

Medellín planted corridors of trees and shrubs along roads and streams. The city reports that temperatures along the corridors fell by up to two degrees within three years.

## The limits

Trees need water, and water is scarce in exactly the places that heat most. A tree planted without a plan for its first five summers is a tree that will die.

Reflective surfaces can bounce heat onto pedestrians and nearby walls. What cools a street from above may warm the person walking along it.

No single measure is enough. The cities doing best combine shade, water, building rules and a plan for checking on people who live alone.
"""

LETTERS = """# The Letters That Ended a War

By Amara Okafor

November 11, 2022

## An unusual correspondence

In the winter of 1783 two diplomats who had never met began writing to each other. Their governments were still at war, and neither man had permission to negotiate.

The first letter was short and formal. It proposed nothing more than an exchange of prisoners held on a small island that both sides had long since stopped wanting.

The second letter was longer, and warmer. Its author admitted that he was tired of the war, and that he suspected his correspondent was tired of it too.

## From prisoners to peace

Over eleven months the letters grew more ambitious. The prisoners were exchanged in the spring; by summer the two men were discussing fishing rights, and by autumn the borders themselves.

Neither government knew the full extent of what was being discussed. Each diplomat reported only what he judged his ministers were ready to hear.

When the treaty was finally signed, it contained almost nothing that had not first appeared in the letters. Historians have called it the most successful piece of unauthorised diplomacy of the century.

## What the letters teach

Trust was built in small steps. Each letter asked for a little more than the last, and each promise was kept before the next was made.

The letters also show the value of a private channel. Words that could never have been spoken in public could be written, considered and answered.

Yet secrecy has a cost. The treaty was resented for a generation by those who felt it had been made behind their backs, and that resentment shaped the next war.
"""

ARTICLES = {"commons": COMMONS, "heat": HEAT, "letters": LETTERS}


@dataclass(frozen=True)
class Note:
    """An annotation to place before the edit and find after it."""

    quote: str | None = None  # the words it quotes in the original
    expect: str = ""  # the words its quote covers after the edit, or ORPHAN
    near: str | None = None  # opening words of its block, when the quote repeats
    block: str | None = None  # a whole-block note: opening words of its block
    expect_in: str | None = None  # words of the block it must be in now (default: expect)


@dataclass(frozen=True)
class Edit:
    name: str
    article: str
    replace: tuple[tuple[str, str], ...]
    notes: tuple[Note, ...] = field(default_factory=tuple)


def N(quote: str, expect: str | None = None, **kw: str) -> Note:
    return Note(quote=quote, expect=quote if expect is None else expect, **kw)


def B(block: str, expect_in: str) -> Note:
    return Note(block=block, expect=ORPHAN if expect_in == ORPHAN else "", expect_in=expect_in)


EDITS: tuple[Edit, ...] = (
    # -- spelling and punctuation --------------------------------------------------------------
    Edit(
        "typo inside a quote",
        "commons",
        (("because the gain is his", "because the gain is hiss"),),
        (
            N(
                "each herder adds one more cow",
            ),
            N("the cost is shared"),
            N("the gain is his and", "the gain is hiss and"),
        ),
    ),
    Edit(
        "typo fixed inside a quote",
        "heat",
        (
            (
                "Asphalt and brick soak up the day's heat",
                "Asphalt and bricks soak up the day's heat",
            ),
        ),
        (
            N("Asphalt and brick soak up", "Asphalt and bricks soak up"),
            N("release it slowly after dark"),
        ),
    ),
    Edit(
        "comma added outside the quote",
        "letters",
        (("The first letter was short and formal.", "The first letter was short, and formal."),),
        (N("an exchange of prisoners"), N("a small island that both sides")),
    ),
    Edit(
        "comma added inside the quote",
        "commons",
        (
            (
                "Swiss alpine meadows, Japanese forests and Spanish",
                "Swiss alpine meadows, Japanese forests, and Spanish",
            ),
        ),
        (
            N(
                "Japanese forests and Spanish irrigation",
                "Japanese forests, and Spanish irrigation",
            ),
            N("governed shared resources for centuries"),
        ),
    ),
    Edit(
        "straight quotes become curly",
        "heat",
        (('"cool islands"', "“cool islands”"),),
        (
            N('opened "cool islands" in schoolyards', "opened “cool islands” in schoolyards"),
            N("replacing asphalt with trees"),
        ),
    ),
    Edit(
        "dash style changed",
        "commons",
        (("a question: who makes", "a question — who makes"),),
        (
            N(
                "not a recipe but a question: who makes the rules",
                "not a recipe but a question — who makes the rules",
            ),
            B("These objections are serious", "These objections are serious"),
        ),
    ),
    Edit(
        "British to American spelling, twice",
        "heat",
        (("every neighbourhood has one", "every neighborhood has one"),),
        (
            N("every neighbourhood has one", "every neighborhood has one"),
            N("children are among the most vulnerable"),
        ),
    ),
    Edit(
        "apostrophe fixed",
        "letters",
        (
            (
                "he suspected his correspondent was tired",
                "he suspected that his correspondent was tired",
            ),
        ),
        (N("he was tired of the war"), N("his correspondent was tired of it too")),
    ),
    Edit(
        "number style changed in a quote",
        "heat",
        (("eight degrees warmer", "8 degrees warmer"),),
        (
            N(
                "can be eight degrees warmer than the farmland around it",
                "can be 8 degrees warmer than the farmland around it",
            ),
            N("while the countryside cools"),
        ),
    ),
    # -- sentences deleted -------------------------------------------------------------------------
    Edit(
        "a quoted sentence deleted",
        "commons",
        (
            (
                "They notice when a classmate dominates, and they say so, often more gently than a teacher would.",
                "",
            ),
        ),
        (N("often more gently than a teacher would", ORPHAN), N("tend to keep them")),
    ),
    Edit(
        "an unquoted sentence deleted next to a quote",
        "heat",
        (
            (
                " What has changed is its scale: more people live in cities than ever, and the nights are warming faster than the days.",
                "",
            ),
        ),
        (
            N("Luke Howard noticed that London's thermometers"),
            B("The effect has been measured", "The effect has been measured"),
        ),
    ),
    Edit(
        "the first sentence deleted",
        "letters",
        (("Over eleven months the letters grew more ambitious. ", ""),),
        (
            N("discussing fishing rights"),
            N("the letters grew more ambitious", ORPHAN),
            B("Over eleven months", "The prisoners were exchanged"),
        ),
    ),
    # -- paragraphs inserted, deleted ---------------------------------------------------------
    Edit(
        "a paragraph inserted",
        "commons",
        (
            (
                "## Why it matters for teaching\n",
                "## Why it matters for teaching\n\nTeachers have long borrowed ideas from economics, often without noticing.\n",
            ),
        ),
        (
            N("Attention is the shared resource"),
            B("A classroom discussion", "A classroom discussion"),
            N("graduated sanctions"),
        ),
    ),
    Edit(
        "a paragraph deleted",
        "heat",
        (
            (
                "Los Angeles has painted streets with a light grey coating that reflects sunlight. Early measurements showed surface temperatures falling by several degrees, though the air above changed less.\n\n",
                "",
            ),
        ),
        (
            N("a light grey coating", ORPHAN),
            B("Los Angeles has painted", ORPHAN),
            N("corridors of trees and shrubs"),
        ),
    ),
    Edit(
        "two paragraphs inserted at the top",
        "letters",
        (
            (
                "## An unusual correspondence\n",
                "## An unusual correspondence\n\nHistory remembers treaties, not letters.\n\nThis is the story of some letters.\n",
            ),
        ),
        (N("two diplomats who had never met"), N("neither man had permission")),
    ),
    Edit(
        "the last paragraph deleted",
        "commons",
        (
            (
                "These objections are serious. They suggest that the lesson of the commons is not a recipe but a question: who makes the rules here, and who enforces them?\n",
                "",
            ),
        ),
        (N("not a recipe but a question", ORPHAN), N("the teacher still grades the work")),
    ),
    Edit(
        "a heading deleted",
        "heat",
        (("## The limits\n\n", ""),),
        (N("Trees need water"), B("The limits", ORPHAN)),
    ),
    # -- paragraphs split, merged, reordered ----------------------------------------------------
    Edit(
        "a paragraph split in two",
        "commons",
        (
            ("or a distant state.", "or a distant state."),
            ("wrong, or at least premature. In Swiss", "wrong, or at least premature.\n\nIn Swiss"),
        ),
        (
            N("the conclusion was wrong"),
            N("Spanish irrigation huertas"),
            B("Elinor Ostrom spent", "Elinor Ostrom spent"),
        ),
    ),
    Edit(
        "a paragraph split near its end",
        "heat",
        (
            (
                "among older people living alone, and many",
                "among older people living alone.\n\nMany",
            ),
        ),
        (
            N("Heat kills quietly"),
            N("recorded as heart failure rather than heat"),
            B("Heat kills quietly", "Heat kills quietly"),
        ),
    ),
    Edit(
        "two paragraphs merged",
        "letters",
        (
            (
                "a small island that both sides had long since stopped wanting.\n\nThe second letter",
                "a small island that both sides had long since stopped wanting. The second letter",
            ),
        ),
        (
            N("short and formal"),
            N("longer, and warmer"),
            B("The first letter", "The first letter was short"),
            B("The second letter", "The first letter was short"),
        ),
    ),
    Edit(
        "two paragraphs swapped",
        "commons",
        (
            (
                "Students who help write the rules of a seminar tend to keep them. They notice when a classmate dominates, and they say so, often more gently than a teacher would.\n\nNone of this means that rules are unnecessary. It means that rules work best when the people bound by them recognise them as their own.",
                "None of this means that rules are unnecessary. It means that rules work best when the people bound by them recognise them as their own.\n\nStudents who help write the rules of a seminar tend to keep them. They notice when a classmate dominates, and they say so, often more gently than a teacher would.",
            ),
        ),
        (
            N("recognise them as their own"),
            N("often more gently"),
            B("None of this means", "None of this means"),
            B("Students who help", "Students who help"),
        ),
    ),
    Edit(
        "a paragraph moved to another section",
        "heat",
        (
            (
                "Heat kills quietly. Most deaths in a heat wave happen indoors, among older people living alone, and many are recorded as heart failure rather than heat.\n\n",
                "",
            ),
            (
                "No single measure is enough.",
                "Heat kills quietly. Most deaths in a heat wave happen indoors, among older people living alone, and many are recorded as heart failure rather than heat.\n\nNo single measure is enough.",
            ),
        ),
        (
            N("Most deaths in a heat wave happen indoors"),
            B("Heat kills quietly", "Heat kills quietly"),
        ),
    ),
    Edit(
        "a sentence moved to the next paragraph",
        "letters",
        (
            (
                "Each diplomat reported only what he judged his ministers were ready to hear.\n\nWhen the treaty",
                "\n\nEach diplomat reported only what he judged his ministers were ready to hear. When the treaty",
            ),
        ),
        (
            N("only what he judged his ministers were ready to hear"),
            N("almost nothing that had not first appeared"),
        ),
    ),
    Edit(
        "a paragraph moved and lightly edited",
        "commons",
        (
            (
                "What those communities had in common was not altruism. It was a set of rules that the users themselves made, monitored and enforced, with graduated sanctions for those who broke them.\n\n",
                "",
            ),
            (
                "## Why it matters for teaching\n",
                "## Why it matters for teaching\n\nWhat those communities had in common was not altruism. It was a set of rules the users themselves made, monitored and enforced, with graduated sanctions for those who broke them.\n",
            ),
        ),
        (
            N("was not altruism"),
            N("rules that the users themselves made", "rules the users themselves made"),
            B("What those communities", "What those communities"),
        ),
    ),
    # -- rewrites -----------------------------------------------------------------------------------
    Edit(
        "heavy rewrite that keeps the quoted sentence",
        "heat",
        (
            (
                "Trees need water, and water is scarce in exactly the places that heat most. A tree planted without a plan for its first five summers is a tree that will die.",
                "Water is the catch. A tree planted without a plan for its first five summers is a tree that will die, and cities have lost thousands that way.",
            ),
        ),
        (N("a tree that will die"), N("water is scarce in exactly the places", ORPHAN)),
    ),
    Edit(
        "heavy rewrite that drops the quoted sentence",
        "letters",
        (
            (
                "Trust was built in small steps. Each letter asked for a little more than the last, and each promise was kept before the next was made.",
                "The correspondence shows how confidence grows: gradually, through commitments honoured one at a time.",
            ),
        ),
        (
            N("each promise was kept before the next was made", ORPHAN),
            N("Trust was built in small steps", ORPHAN),
            B("Trust was built", ORPHAN),
            N("the value of a private channel"),
        ),
    ),
    Edit(
        "a sentence reworded around an unchanged quote",
        "commons",
        (
            (
                "Critics point out that Ostrom's cases were small, stable and isolated.",
                "Critics have noted that Ostrom's cases were small, stable and isolated, unlike most schools.",
            ),
        ),
        (N("small, stable and isolated"), N("A lecture hall of three hundred")),
    ),
    Edit(
        "a quoted phrase reworded lightly",
        "heat",
        (("though the air above changed less", "though the air above it changed less"),),
        (
            N("though the air above changed less", "though the air above it changed less"),
            N("surface temperatures falling"),
        ),
    ),
    Edit(
        "the whole paragraph rewritten",
        "commons",
        (
            (
                "Others argue that the commons framing hides the teacher's power. However participatory the rules, the teacher still grades the work, and students know it.",
                "A second objection concerns authority: grades remain in one person's hands, whatever the class decides.",
            ),
        ),
        (
            N("hides the teacher's power", ORPHAN),
            B("Others argue", ORPHAN),
            N("three hundred first-year students"),
        ),
    ),
    # -- repeated phrases ---------------------------------------------------------------------------
    Edit(
        "a quoted phrase now also appears earlier",
        "letters",
        (
            (
                "Their governments were still at war,",
                "They were tired of the war. Their governments were still at war,",
            ),
        ),
        (N("tired of the war", near="The second letter"), N("still at war")),
    ),
    Edit(
        "the quoted occurrence deleted, another remains",
        "heat",
        (
            (
                "combine shade, water, building rules and a plan for checking on people who live alone.",
                "combine shade, water and building rules.",
            ),
        ),
        (
            N("a plan", ORPHAN, near="No single measure"),
            N("a plan", near="Trees need water"),
            N("living alone"),
        ),
    ),
    Edit(
        "a repeated word quoted in the second occurrence",
        "commons",
        (("Attention is the shared resource", "Attention, first of all, is the shared resource"),),
        (N("rules", near="None of this means"), N("the shared resource")),
    ),
    Edit(
        "a duplicate sentence added elsewhere",
        "letters",
        (
            (
                "Yet secrecy has a cost.",
                "Yet secrecy has a cost. Words that could never have been spoken in public could be written.",
            ),
        ),
        (
            N("Words that could never have been spoken in public", near="The letters also show"),
            N("resented for a generation"),
        ),
    ),
    Edit(
        "a quote's context edited on both sides",
        "heat",
        (
            (
                "Medellín planted corridors of trees and shrubs along roads and streams.",
                "In 2016 Medellín began planting corridors of trees and shrubs along its roads and streams.",
            ),
        ),
        (N("corridors of trees and shrubs"), N("fell by up to two degrees")),
    ),
    # -- mixed, larger revisions ----------------------------------------------------------------
    Edit(
        "a heading renamed",
        "commons",
        (("## Objections", "## Objections and replies"),),
        (B("Objections", "Objections and replies"), N("Critics point out")),
    ),
    Edit(
        "a heading reworded completely",
        "letters",
        (("## What the letters teach", "## Lessons"),),
        (B("What the letters teach", ORPHAN), N("Trust was built in small steps")),
    ),
    Edit(
        "a section reordered with its paragraphs",
        "heat",
        (
            (
                "## The limits\n\nTrees need water, and water is scarce in exactly the places that heat most. A tree planted without a plan for its first five summers is a tree that will die.\n\n",
                "",
            ),
            (
                "## What cities are trying\n",
                "## The limits\n\nTrees need water, and water is scarce in exactly the places that heat most. A tree planted without a plan for its first five summers is a tree that will die.\n\n## What cities are trying\n",
            ),
        ),
        (
            N("Trees need water"),
            B("The limits", "The limits"),
            N("Reflective surfaces can bounce heat"),
        ),
    ),
    Edit(
        "a footnote marker added inside a quote",
        "letters",
        (
            (
                "the most successful piece of unauthorised diplomacy",
                "the most successful piece[^1] of unauthorised diplomacy",
            ),
            (
                "that resentment shaped the next war.\n",
                "that resentment shaped the next war.\n\n[^1]: See Hale, 1911.\n",
            ),
        ),
        (
            N(
                "the most successful piece of unauthorised diplomacy",
                "the most successful piece[^1] of unauthorised diplomacy",
            ),
        ),
    ),
    Edit(
        "emphasis added to quoted words",
        "commons",
        (("the conclusion was wrong", "the conclusion was *wrong*"),),
        (N("showing that the conclusion was wrong"), N("at least premature")),
    ),
    Edit(
        "a link added around quoted words",
        "heat",
        (("Luke Howard noticed", "[Luke Howard](https://example.org/howard) noticed"),),
        (N("Luke Howard noticed that London's thermometers"),),
    ),
    Edit(
        "a paragraph split and the halves reworded",
        "letters",
        (
            (
                "Neither government knew the full extent of what was being discussed. Each diplomat reported only what he judged his ministers were ready to hear.",
                "Neither government knew the full extent of what was being discussed.\n\nEach diplomat told his ministers only what he judged they were ready to hear.",
            ),
        ),
        (
            N("the full extent of what was being discussed"),
            B("Neither government knew", "Neither government knew"),
            N("reported only what he judged", ORPHAN),
        ),
    ),
    Edit(
        "three edits at once",
        "commons",
        (
            ("1968 essay", "1968 article"),
            (
                "The teacher who simply enforces rules from above may keep order but rarely builds a culture of argument.",
                "",
            ),
            ("## Objections\n", "## Objections\n\nThe idea is not without its critics.\n"),
        ),
        (
            N("Garrett Hardin's 1968 essay imagined", "Garrett Hardin's 1968 article imagined"),
            N("rarely builds a culture of argument", ORPHAN),
            N("Attention is the shared resource"),
            N("small, stable and isolated"),
        ),
    ),
    Edit(
        "unchanged re-import of an edited copy",
        "heat",
        (("On a still summer night", "On a still summer night"),),
        (N("On a still summer night"), B("Paris has opened", "Paris has opened")),
    ),
    Edit(
        "a long quote lightly edited in two places",
        "letters",
        (
            (
                "Their governments were still at war, and neither man had permission to negotiate.",
                "Their governments were still at war, and neither of them had any permission to negotiate.",
            ),
        ),
        (
            N(
                "Their governments were still at war, and neither man had permission to negotiate.",
                "Their governments were still at war, and neither of them had any permission to negotiate.",
            ),
        ),
    ),
)
