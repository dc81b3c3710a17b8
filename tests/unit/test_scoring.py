"""Draw numbers, sha256_hex_proximity and the algorithm registry (domain-rules.md §7.1-7.3)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nictbw.domain.entities import ScoreComputation
from nictbw.domain.errors import ConflictError, NotFoundError, ValidationError
from nictbw.domain.scoring import (
    DEFAULT_SCORING_REGISTRY,
    HASH_MAX,
    SHA256_HEX_PROXIMITY,
    AlgorithmRegistry,
    BatchScores,
    ScoringAlgorithm,
    derive_draw_number,
    new_default_registry,
    normalize_winning_value,
    score_for_difference,
    sha256_hex_proximity,
    sha256_hex_proximity_many,
    top_digits,
)

MAX_SCORE = 0.8999999999999999

ascii_text = st.text(alphabet=st.characters(max_codepoint=127))

GOLDEN_VECTORS = [
    ("abcd", "abce", 0.8769994616139306, "6188938426", "6011386400"),
    ("A", "B", 0.09205801963150056, "3872030720", "1010891671"),
    ("abc", "abd", 0.7752364105046057, "8434236848", "7471127736"),
    ("abd", "abd", 0.8999999999999999, "7471127736", "7471127736"),
    ("abe", "abd", 0.6015995858057395, "9774621562", "7471127736"),
    ("abz", "abd", 0.7980906567851689, "6684441351", "7471127736"),
    ("origin-0", "origin-0", 0.8999999999999999, "1042206200", "1042206200"),
    ("origin-1", "origin-0", 0.0, "1126381933", "1042206200"),
    ("origin-2", "origin-0", 0.0, "8810237576", "1042206200"),
    ("", "", 0.8999999999999999, "1029873362", "1029873362"),
]


def hash_value(text: str) -> int:
    return int(hashlib.sha256(text.encode("ascii")).hexdigest(), 16)


# --- §7.3 golden vectors and properties ---------------------------------------------------


@pytest.mark.parametrize(
    ("draw", "winning", "score", "draw_digits", "winning_digits"), GOLDEN_VECTORS
)
def test_sha256_hex_proximity_matches_golden_vector(
    draw: str, winning: str, score: float, draw_digits: str, winning_digits: str
) -> None:
    assert sha256_hex_proximity(draw, winning) == ScoreComputation(
        score=score, draw_top_digits=draw_digits, winning_top_digits=winning_digits
    )


@given(ascii_text, ascii_text)
def test_score_is_always_in_zero_to_max_score(draw: str, winning: str) -> None:
    score = sha256_hex_proximity(draw, winning).score
    assert 0.0 <= score <= MAX_SCORE < 0.9


@given(ascii_text)
def test_equal_inputs_score_the_max_score(value: str) -> None:
    assert sha256_hex_proximity(value, value).score == MAX_SCORE


def test_max_score_is_the_double_arithmetic_of_an_exact_match() -> None:
    assert MAX_SCORE == (0.6 - 0.0) * 1.5
    assert SHA256_HEX_PROXIMITY.max_score == MAX_SCORE


@given(ascii_text, ascii_text)
def test_score_is_symmetric(a: str, b: str) -> None:
    assert sha256_hex_proximity(a, b).score == sha256_hex_proximity(b, a).score


@given(ascii_text, ascii_text)
def test_score_depends_only_on_the_hash_difference(draw: str, winning: str) -> None:
    diff = abs(hash_value(draw) - hash_value(winning))
    assert sha256_hex_proximity(draw, winning).score == score_for_difference(diff)


@given(st.integers(0, HASH_MAX), st.integers(0, HASH_MAX))
def test_score_never_increases_with_the_difference(a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert score_for_difference(low) >= score_for_difference(high)


def test_score_for_difference_follows_the_formula_of_section_7_3() -> None:
    diff = HASH_MAX // 3
    assert score_for_difference(diff) == (0.6 - diff / HASH_MAX) * 1.5
    assert score_for_difference(0) == MAX_SCORE
    assert score_for_difference(HASH_MAX) == 0.0


@pytest.mark.parametrize("diff", [-1, HASH_MAX + 1, 1.5, True, "3"])
def test_score_for_difference_refuses_values_outside_the_hash_range(diff: object) -> None:
    with pytest.raises(ValidationError, match="hash difference"):
        score_for_difference(diff)  # type: ignore[arg-type]


@given(ascii_text, ascii_text)
def test_top_digits_are_exactly_ten_decimal_digits(draw: str, winning: str) -> None:
    computation = sha256_hex_proximity(draw, winning)
    for digits in (computation.draw_top_digits, computation.winning_top_digits):
        assert digits is not None
        assert len(digits) == 10
        assert digits.isdecimal()


@given(ascii_text)
def test_top_digits_come_from_the_hash_value(value: str) -> None:
    computation = sha256_hex_proximity(value, "x")
    assert computation.draw_top_digits == top_digits(hash_value(value))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0000000000"),
        (12345 * 10**67 + 999, "0000012345"),
        (HASH_MAX, str(HASH_MAX // 10**67)[:10]),
        (10**77, "1000000000"),
    ],
)
def test_top_digits_pad_short_quotients_and_cut_long_ones(value: int, expected: str) -> None:
    assert top_digits(value) == expected


def test_top_digits_of_the_largest_hash_keep_the_first_ten_of_eleven_digits() -> None:
    assert len(str(HASH_MAX // 10**67)) == 11
    assert top_digits(HASH_MAX) == "1157920892"


@pytest.mark.parametrize("value", [-1, True, 1.0])
def test_top_digits_refuse_non_hash_values(value: object) -> None:
    with pytest.raises(ValidationError, match="non-negative int"):
        top_digits(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(("draw", "winning"), [("abé", "abd"), ("abd", "abé")])
def test_non_ascii_scorer_input_is_a_validation_error(draw: str, winning: str) -> None:
    with pytest.raises(ValidationError, match="is not ASCII"):
        sha256_hex_proximity(draw, winning)


def test_scorer_does_not_normalise_its_inputs() -> None:
    assert sha256_hex_proximity("ABD", "abd").score != MAX_SCORE


# --- the batch kernel ---------------------------------------------------------------------


def test_batch_kernel_matches_every_golden_vector() -> None:
    for draw, winning, score, draw_digits, winning_digits in GOLDEN_VECTORS:
        assert sha256_hex_proximity_many([draw], winning) == BatchScores(
            scores=[score], draw_top_digits=[draw_digits], winning_top_digits=winning_digits
        )


@given(st.lists(ascii_text, max_size=30), ascii_text)
def test_batch_kernel_is_identical_to_the_single_item_scorer(
    draws: list[str], winning: str
) -> None:
    draws = [*draws, winning, *(row[0] for row in GOLDEN_VECTORS)]
    batch = sha256_hex_proximity_many(draws, winning)
    singles = [sha256_hex_proximity(draw, winning) for draw in draws]
    assert batch.scores == [c.score for c in singles]
    assert [repr(s) for s in batch.scores] == [repr(c.score) for c in singles]
    assert batch.draw_top_digits == [c.draw_top_digits for c in singles]
    assert batch.winning_top_digits == singles[0].winning_top_digits


def test_batch_kernel_of_no_draws_still_gives_the_winning_digits() -> None:
    assert sha256_hex_proximity_many([], "abd") == BatchScores(
        scores=[], draw_top_digits=[], winning_top_digits="7471127736"
    )


def test_batch_kernel_names_a_non_ascii_draw_number() -> None:
    with pytest.raises(ValidationError, match="'abé' is not ASCII"):
        sha256_hex_proximity_many(["abc", "abé"], "abd")


def test_batch_kernel_names_a_non_string_draw_number() -> None:
    with pytest.raises(ValidationError, match="got int 7"):
        sha256_hex_proximity_many(["abc", 7], "abd")  # type: ignore[list-item]


def test_batch_kernel_refuses_a_non_ascii_winning_value() -> None:
    with pytest.raises(ValidationError, match="winning value 'abé' is not ASCII"):
        sha256_hex_proximity_many(["abc"], "abé")


# --- §7.1 draw numbers, §7.2 winning values -----------------------------------------------


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        ("TxId:0001", "txid:0001"),
        ("  TxId:0001  ", "txid:0001"),
        ("\tABC\n", "abc"),
        ("abc", "abc"),
    ],
)
def test_draw_number_is_the_stripped_lower_cased_origin(origin: str, expected: str) -> None:
    assert derive_draw_number(origin) == expected


@pytest.mark.parametrize(
    ("origin", "message"),
    [
        (None, "origin is None"),
        (123, "got int 123"),
        (b"abc", "got bytes b'abc'"),
        ("", "origin '' is blank"),
        ("   ", "origin '   ' is blank"),
        ("abé", "origin 'abé' is not ASCII"),
    ],
)
def test_invalid_origin_gives_no_draw_number(origin: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        derive_draw_number(origin)


def test_invalid_origin_is_a_value_error_not_a_type_error() -> None:
    with pytest.raises(ValueError, match="origin") as info:
        derive_draw_number(42)
    assert not isinstance(info.value, TypeError)


@pytest.mark.parametrize("value", ["ABD", " abd ", "abd", "\tAbD\n"])
def test_winning_values_normalise_like_draw_numbers(value: str) -> None:
    assert normalize_winning_value(value) == "abd"


@pytest.mark.parametrize("value", [None, "", "  ", "é", 5])
def test_invalid_winning_value_message_talks_about_a_winning_value(value: object) -> None:
    with pytest.raises(ValidationError, match="winning value"):
        normalize_winning_value(value)


def test_workflow_example_scores_origin_abc_against_winning_abd() -> None:
    draw = derive_draw_number("ABC")
    evaluation = SHA256_HEX_PROXIMITY.evaluate(draw, normalize_winning_value(" ABD "), 0.8)
    assert draw == "abc"
    assert evaluation.score == 0.7752364105046057
    assert evaluation.passed is False
    assert SHA256_HEX_PROXIMITY.evaluate(draw, "abd", 0.7).passed is True


# --- ScoringAlgorithm ---------------------------------------------------------------------


def constant_scorer(draw: str, winning: str) -> ScoreComputation:
    return ScoreComputation(score=1, draw_top_digits=draw, winning_top_digits=winning)


def test_evaluate_casts_the_score_to_float() -> None:
    evaluation = ScoringAlgorithm(key="const", scorer=constant_scorer).evaluate("a", "b")
    assert type(evaluation.score) is float
    assert evaluation.score == 1.0


def test_evaluate_without_threshold_has_passed_none() -> None:
    assert SHA256_HEX_PROXIMITY.evaluate("abc", "abd").passed is None


def test_evaluate_passes_at_a_threshold_equal_to_the_score() -> None:
    evaluation = SHA256_HEX_PROXIMITY.evaluate("abc", "abd", 0.7752364105046057)
    assert evaluation.passed is True
    assert evaluation.algorithm_key == "sha256_hex_proximity"
    assert evaluation.threshold == 0.7752364105046057
    assert (evaluation.draw_top_digits, evaluation.winning_top_digits) == (
        "8434236848",
        "7471127736",
    )


def test_score_many_without_batch_scorer_loops_the_scorer() -> None:
    algorithm = ScoringAlgorithm(key="const", scorer=constant_scorer)
    assert algorithm.score_many(["a", "b"], "w") == BatchScores(
        scores=[1.0, 1.0], draw_top_digits=["a", "b"], winning_top_digits="w"
    )


def test_score_many_uses_the_batch_scorer_when_set() -> None:
    calls: list[tuple[list[str], str]] = []

    def batch(draws: object, winning: str) -> BatchScores:
        calls.append((list(draws), winning))  # type: ignore[call-overload]
        return BatchScores(scores=[0.5], draw_top_digits=[None], winning_top_digits=None)

    algorithm = ScoringAlgorithm(key="b", scorer=constant_scorer, batch_scorer=batch)
    assert algorithm.score_many(["x"], "w").scores == [0.5]
    assert calls == [(["x"], "w")]


def test_score_many_refuses_a_batch_scorer_that_loses_items() -> None:
    def short(draws: object, winning: str) -> BatchScores:
        return BatchScores(scores=[], draw_top_digits=[], winning_top_digits=None)

    algorithm = ScoringAlgorithm(key="short", scorer=constant_scorer, batch_scorer=short)
    with pytest.raises(ValidationError, match="'short' returned 0 scores for 2"):
        algorithm.score_many(["x", "y"], "w")


@pytest.mark.parametrize("key", ["", "   ", None])
def test_algorithm_key_must_be_non_blank(key: object) -> None:
    with pytest.raises(ValidationError, match="algorithm key"):
        ScoringAlgorithm(key=key, scorer=constant_scorer)  # type: ignore[arg-type]


@pytest.mark.parametrize("max_score", [1.5, -0.1, float("nan"), True])
def test_max_score_must_be_in_zero_to_one(max_score: object) -> None:
    with pytest.raises(ValidationError, match="max_score"):
        ScoringAlgorithm(key="k", scorer=constant_scorer, max_score=max_score)  # type: ignore[arg-type]


def test_max_score_defaults_to_one() -> None:
    assert ScoringAlgorithm(key="k", scorer=constant_scorer).max_score == 1.0


# --- AlgorithmRegistry --------------------------------------------------------------------


def test_default_registry_holds_exactly_sha256_hex_proximity() -> None:
    assert DEFAULT_SCORING_REGISTRY.available_algorithms() == {
        "sha256_hex_proximity": SHA256_HEX_PROXIMITY
    }


def test_new_default_registry_is_fresh_each_time() -> None:
    first = new_default_registry()
    first.register(ScoringAlgorithm(key="extra", scorer=constant_scorer))
    assert "extra" not in new_default_registry()
    assert "extra" not in DEFAULT_SCORING_REGISTRY


def test_registering_a_taken_key_is_a_conflict() -> None:
    registry = new_default_registry()
    duplicate = ScoringAlgorithm(key="sha256_hex_proximity", scorer=constant_scorer)
    with pytest.raises(ConflictError, match="'sha256_hex_proximity' is already registered"):
        registry.register(duplicate)
    assert registry.get("sha256_hex_proximity") is SHA256_HEX_PROXIMITY


def test_register_with_replace_overwrites_the_key() -> None:
    registry = new_default_registry()
    replacement = ScoringAlgorithm(key="sha256_hex_proximity", scorer=constant_scorer)
    registry.register(replacement, replace=True)
    assert registry.get("sha256_hex_proximity") is replacement


def test_register_refuses_something_that_is_not_an_algorithm() -> None:
    with pytest.raises(ValidationError, match="ScoringAlgorithm"):
        AlgorithmRegistry().register(constant_scorer)  # type: ignore[arg-type]


def test_unknown_key_is_not_found_and_named() -> None:
    with pytest.raises(NotFoundError, match="'nope'"):
        DEFAULT_SCORING_REGISTRY.get("nope")


def test_unknown_key_is_a_lookup_error() -> None:
    with pytest.raises(LookupError):
        AlgorithmRegistry().get("sha256_hex_proximity")


def test_available_algorithms_is_a_copy() -> None:
    registry = new_default_registry()
    registry.available_algorithms().clear()
    assert "sha256_hex_proximity" in registry


def test_registry_contains_only_registered_keys() -> None:
    assert "sha256_hex_proximity" in DEFAULT_SCORING_REGISTRY
    assert "SHA256_HEX_PROXIMITY" not in DEFAULT_SCORING_REGISTRY


def test_registry_evaluate_uses_the_algorithm_under_the_key() -> None:
    evaluation = DEFAULT_SCORING_REGISTRY.evaluate("sha256_hex_proximity", "abc", "abd", 0.8)
    assert (evaluation.score, evaluation.passed) == (0.7752364105046057, False)


def test_registry_evaluate_with_unknown_key_is_not_found() -> None:
    with pytest.raises(NotFoundError, match="'missing'"):
        DEFAULT_SCORING_REGISTRY.evaluate("missing", "abc", "abd")
