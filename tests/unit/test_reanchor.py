"""Re-anchoring without a database: block pairing, and quotes found exactly, fuzzily, or not."""

from __future__ import annotations

from app.importing.reanchor import find_quote, locate, plan_blocks

P = "paragraph"
LONG_A = "The first paragraph argues a point at some length, with care and with evidence."
LONG_B = "The second paragraph answers it, disagreeing politely but firmly with the first."


def test_a_split_block_continues_as_its_first_part() -> None:
    head, tail = LONG_A[:40], LONG_A[41:]
    plan = plan_blocks([(P, LONG_A), (P, LONG_B)], [(P, head), (P, tail), (P, LONG_B)])
    assert plan.same == {0: 0, 2: 1}
    assert plan.follows == {0: 0, 1: 2}


def test_merged_blocks_both_follow_into_the_merged_one() -> None:
    plan = plan_blocks([(P, LONG_A), (P, LONG_B)], [(P, f"{LONG_A} {LONG_B}")])
    assert plan.follows == {0: 0, 1: 0}
    assert list(plan.same.values()) == [0]  # one anchor only: never two blocks on one


def test_a_moved_and_lightly_edited_block_keeps_its_pairing() -> None:
    edited = LONG_A.replace("with care", "with great care")
    plan = plan_blocks(
        [(P, LONG_A), (P, LONG_B), (P, "Third.")], [(P, LONG_B), (P, "Third."), (P, edited)]
    )
    assert plan.same[2] == 0


def test_a_rewritten_block_is_new() -> None:
    plan = plan_blocks([(P, LONG_A)], [(P, "Something else entirely, about the weather today.")])
    assert plan.same == {}
    assert plan.follows == {}


def test_the_prefix_and_suffix_choose_between_repeats() -> None:
    text = "A plan is good. Then a plan for water, and a plan for shade."
    last, middle = text.rindex("a plan"), text.index("a plan for water")
    assert locate(text, "a plan", "water, and ", " for shade.") == (last, last + 6)
    found = find_quote("a plan", "Then ", " for water", [text], 0, hint=None)
    assert found is not None
    assert (found.start, found.end) == (middle, middle + 6)


def test_an_exact_quote_elsewhere_needs_agreeing_context_or_length() -> None:
    texts = ["Nothing here.", "Elsewhere the treaty was signed in spring by both sides."]
    assert find_quote("the treaty", "x y z ", " q r s", texts, 0) is None
    long_quote = "the treaty was signed in spring"
    found = find_quote(long_quote, "", "", texts, 0)
    assert found is not None
    assert found.block == 1


def test_a_lightly_edited_quote_is_found_on_its_new_words() -> None:
    text = "The second paragraph offers some evidence, with numbers: 32% and 69%."
    found = find_quote("offers evidence", "The second paragraph ", ", with", [text], 0, hint=21)
    assert found is not None
    assert not found.exact
    assert text[found.start : found.end] == "offers some evidence"


def test_a_quote_whose_words_are_gone_is_not_pinned_elsewhere() -> None:
    texts = ["The correspondence shows how confidence grows, one commitment at a time."]
    found = find_quote("each promise was kept before the next was made", "and ", ".", texts, 0)
    assert found is None


def test_a_fuzzy_match_at_the_very_end_of_a_block_stays_inside_it() -> None:
    text = "Short block ending in the quoted wordz"
    found = find_quote("the quoted words", "ending in ", "", [text], 0, hint=20)
    assert found is not None
    assert found.end <= len(text)
    assert text[found.start : found.end] == "the quoted wordz"
