"""The import corpus: twelve documents of the kinds instructors bring, with the blocks expected.

Each expectation names the metadata read, every block in order (its kind and the start of its
text), the asides set apart, words that must be reported as dropped, and words that must not be
in any block (ads, navigation, sharing and email chrome).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Expected:
    title: str
    blocks: tuple[tuple[str, str], ...]
    author: str | None = None
    published: date | None = None
    source_url: str | None = None
    photo_credit: str | None = None
    asides: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()  # each must occur in the preview's "left out" list
    absent: tuple[str, ...] = field(default_factory=tuple)  # never in a block's text


EXPECTED = {
    "blog_with_footnotes.html": Expected(
        title="On Reading Slowly",
        author="Marguerite Osei",
        published=date(2023, 9, 2),
        blocks=(
            ("paragraph", "Slow reading is not a technique so much as a ref"),
            ("paragraph", "Nietzsche called philology the art of reading sl"),
            ("heading", "What changes when we slow down"),
            ("paragraph", "The first thing that changes is what we notice. "),
            ("paragraph", "The second is what we remember. A passage read t"),
            ("heading", "Notes"),  # the page gave its footnotes no heading
            ("note", "See John Miedema, Slow Reading (2009), for a sho"),
            ("note", "Friedrich Nietzsche, preface to Daybreak (1886),"),
        ),
        dropped=("“Great post, thanks!”",),
        absent=("3 comments", "Field Notes"),
    ),
    "broken_markup.html": Expected(
        title="Broken but readable",
        blocks=(
            ("paragraph", "The first paragraph is never closed properly and"),
            ("paragraph", "The third paragraph follows a closing tag that w"),
            ("row", "A cell with no end"),
            ("paragraph", "The last paragraph sits in an unclosed table and"),
        ),
    ),
    "code_tutorial.html": Expected(
        title="Counting words in Python",
        author="Ade Bello",
        published=date(2024, 1, 9),
        blocks=(
            ("paragraph", "The simplest way to count the words in a text is"),
            ("code", "from collections import Counter counts = Counter"),
            ("paragraph", "This treats “Word” and “word” as different words"),
            ("code", "counts = Counter(text.lower().split())"),
            ("paragraph", "Punctuation is still attached to the words, whic"),
        ),
        dropped=("<nav>", "Tutorials are licensed"),
        absent=("Tutorials",),
    ),
    "encyclopedia_tables_lists.html": Expected(
        title="Lighthouse",
        published=date(2024, 3, 3),
        blocks=(
            ("paragraph", "A lighthouse is a tower, building or other struc"),
            ("heading", "History"),
            ("paragraph", "Before the development of clearly defined ports,"),
            ("heading", "Components"),
            ("paragraph", "The main parts of a traditional lighthouse are t"),
            ("item", "the tower, which raises the light above the hori"),
            ("item", "the lantern room, which houses the lamp and lens"),
            ("item", "the gallery, a walkway around the lantern room."),
            ("heading", "Tallest lighthouses"),
            ("row", "Name | Country | Height (m)"),
            ("row", "Jeddah Light | Saudi Arabia | 133"),
            ("row", "Île Vierge | France | 82.5"),
            ("paragraph", "Heights are measured from the base of the struct"),
        ),
        dropped=("<nav>", "This page was last edited"),
        absent=("Main page", "Random article"),
    ),
    "frontmatter.md": Expected(
        title="Why Bridges Sing",
        author="Lena Okonkwo",
        published=date(2021, 6, 14),
        source_url="https://example.org/bridges-sing",
        blocks=(
            ("paragraph", "On windy days some suspension bridges hum, and a"),
            ("heading", "Vortex shedding"),
            ("paragraph", "Wind flowing past a cable sheds small vortices, "),
            ("paragraph", "When the shedding frequency matches a natural fr"),
            ("paragraph", "Engineers add dampers to the cables."),
            ("paragraph", "They also change the cables' surface texture."),
        ),
    ),
    "hardwrapped_allcaps.txt": Expected(
        title="Notes on the Water Commission",
        blocks=(
            ("heading", "Purpose Of The Report"),
            ("paragraph", "The Commission was asked in the spring to examin"),
            ("paragraph", "It heard from forty witnesses over nine sessions"),
            ("heading", "Findings"),
            ("paragraph", "Storage has not kept pace with demand since 1990"),
            ("heading", "Recommendations"),
            ("paragraph", "Repair the mains before building new reservoirs."),
        ),
    ),
    "jsonld_metadata.html": Expected(
        title="The Quiet Return of the Night Train",
        author="Henrik Aalto",
        published=date(2022, 11, 27),
        source_url="https://rail.example.org/night-train",
        blocks=(
            ("paragraph", "Ten years ago the sleeper trains of Europe seeme"),
            ("paragraph", "Today new lines are opening almost every season."),
            ("paragraph", "The trains are not always comfortable and rarely"),
        ),
        dropped=("<script>",),
    ),
    "news_with_ads.html": Expected(
        title="Rivers Return to the City",
        author="Priya Nandakumar",
        published=date(2024, 4, 18),
        source_url="https://ledger.example.com/2024/04/18/rivers-return",
        photo_credit="Tomasz Lind for the Ledger",
        blocks=(
            ("paragraph", "For a century the Brook ran under the city in a "),
            ("paragraph", "This spring the council finished tearing the lid"),
            ("caption", "Families on the new banks of the Brook. Photo: T"),
            ("paragraph", "Daylighting, as the practice is called, has spre"),
            ("paragraph", "Critics point to the cost, more than forty milli"),
            ("paragraph", "The council says it will decide next year whethe"),
        ),
        asides=(
            "“We gave the river back its daylight, an",
            "Related stories",
            "Why the January floods hit the east side",
        ),
        dropped=(
            "<nav>",
            "<iframe>",
            "<form>",
            "<script>",
            "“Advertisement”",
            "“Share on Facebook”",
            "We use cookies",
        ),
        absent=(
            "Advertisement",
            "Share on",
            "cookies",
            "Sign up for our",
            "All rights reserved",
            "Home",
        ),
    ),
    "newsletter_export.html": Expected(
        title="The Tuesday Letter #42",
        blocks=(
            ("paragraph", "Dear readers, this week I want to talk about map"),
            ("paragraph", "Every flat map distorts something. The Mercator "),
            ("heading", "A correction"),
            ("paragraph", "Last week I wrote that the Gall–Peters projectio"),
            ("paragraph", "Until next Tuesday, Ruth"),
        ),
        dropped=(
            "hidden on the page",
            "View this email in your browser",
            "You are receiving this email",
        ),
        absent=("Unsubscribe", "View this email"),
    ),
    "quotes_and_sidebar.html": Expected(
        title="Letters from the Front",
        author="Sofia Rinaldi",
        blocks=(
            ("paragraph", "The letters that soldiers wrote home in 1916 are"),
            ("quote", "We are all well here and the weather has turned "),
            ("paragraph", "Censorship explains some of this, but not all. M"),
            ("quote", "The worst of it is the waiting, not the fighting"),
            ("paragraph", "Reading them now, we hear both the cheer and the"),
        ),
        asides=("The Imperial War Museum holds more than ",),
        absent=("Imperial War Museum",),
    ),
    "scripts_heavy.html": Expected(
        title="Tiny article on a heavy page",
        blocks=(
            ("paragraph", "Most of the bytes on this page are scripts, styl"),
            ("paragraph", "A reader should get exactly the prose and nothin"),
        ),
        dropped=(
            "<iframe> elements",
            "<noscript>",
            "<script> elements",
            "<style>",
            "<svg>",
            "<template>",
        ),
        absent=("injected", "not text", "Please enable JavaScript", "icon", "template paragraph"),
    ),
    "word_export.html": Expected(
        title="Seminar handout: the social contract",
        blocks=(
            ("paragraph", "Hobbes, Locke and Rousseau all imagined a state "),
            ("paragraph", "For Hobbes it was a war of all against all, in w"),
            ("paragraph", "For Locke it was a state of liberty but not of l"),
            ("paragraph", "Question for discussion: which of the three is c"),
        ),
        dropped=("<style>",),
        absent=("MsoNormal", "mso"),
    ),
}
