"""predictor.explanations: the words and chart geometry of the result page and cards."""

from __future__ import annotations

import pytest

from predictor.predictions import explanations
from predictor.registry import cards
from tests.factories import STUDENT

CONTRIBUTIONS = {
    "gender": -2.04,
    "race_ethnicity": 0.31,
    "parental_level_of_education": 0.0,
    "lunch": 2.5,
    "test_preparation_course": -1.2,
    "reading_score": 5.61,
    "writing_score": -0.04,
}


def test_signed_points_use_a_plus_a_true_minus_and_no_sign_for_zero():
    """+5.6, −3.1 (U+2212) and a bare 0.0 for anything that rounds to zero."""
    assert cards.signed(5.61) == "+5.6"
    assert cards.signed(-3.14) == "\u22123.1"
    assert cards.signed(-0.04) == "0.0"


def test_reasons_are_in_plain_words_sorted_by_size():
    """Largest push first, either sign; values read as words."""
    reasons = explanations.reasons(STUDENT, CONTRIBUTIONS)
    assert [r.feature for r in reasons[:3]] == ["reading_score", "lunch", "gender"]
    assert reasons[0].text == "Reading score 72" and reasons[0].points_text == "+5.6 points"
    assert reasons[1].text == "Standard lunch"
    assert reasons[2].text == "Gender: female" and reasons[2].direction == "down"


def test_a_push_that_rounds_to_zero_points_is_neither_up_nor_down():
    """-0.03 reads "0.0 points", so it is not coloured as a loss."""
    reasons = explanations.reasons(STUDENT, {**CONTRIBUTIONS, "gender": -0.03})
    tiny = next(r for r in reasons if r.feature == "gender")
    assert tiny.points_text == "0.0 points" and tiny.direction == "none"


def test_reason_bars_grow_from_the_centre_and_the_largest_fills_its_half():
    """Up bars start at 50%, down bars end there; the largest is 48% long."""
    by_feature = {r.feature: r for r in explanations.reasons(STUDENT, CONTRIBUTIONS)}
    assert (by_feature["reading_score"].bar_x, by_feature["reading_score"].bar_width) == (
        "50.00",
        "48.00",
    )
    gender = by_feature["gender"]
    assert float(gender.bar_x) + float(gender.bar_width) == 50.0


def test_the_range_bar_clips_a_point_past_100_to_the_scale():
    """A prediction of 103 is drawn at the right end, its label kept legible."""
    bar = explanations.range_bar(103.0, 94.8, 100.0)
    assert (bar.low, bar.width, bar.point, bar.label_x) == ("94.80", "5.20", "100.00", "96.00")


def test_largest_gap_reads_as_a_sentence():
    """Feature, both groups with their MAE and sizes, and the gap."""
    subgroups = {
        "groups": {
            "lunch": [
                {"value": "standard", "n": 130, "mae": 4.2, "mean_signed_error": -0.3},
                {"value": "free/reduced", "n": 70, "mae": 5.9, "mean_signed_error": 0.8},
            ]
        },
        "largest_gap": {
            "feature": "lunch",
            "high": "free/reduced",
            "low": "standard",
            "mae_gap": 1.7,
        },
    }
    assert cards.largest_gap_text(subgroups) == (
        "The largest gap between groups is by lunch: the model is off by 5.9 points on "
        "average for free/reduced (70 students) against 4.2 for standard (130 students), "
        "1.7 points apart."
    )
    assert cards.largest_gap_text({}) == ""


def test_background_facts_sum_into_one_line_and_unused_features_are_no_reasons():
    """teacher_reasons: the changeable facts one by one, the background facts as one line
    with the sum of their points and its parts; a feature the model does not use is
    neither a line nor a part, and is named as excluded; the setting lists every fact."""
    used = [n for n in explanations.CHANGEABLE_FACTS] + ["lunch", "parental_level_of_education"]
    result = explanations.teacher_reasons(STUDENT, CONTRIBUTIONS, features_used=used)
    by_feature = {r.feature: r for r in result.lines}
    assert set(by_feature) == {*explanations.CHANGEABLE_FACTS, explanations.BACKGROUND}
    combined = by_feature[explanations.BACKGROUND]
    assert combined.points == pytest.approx(
        CONTRIBUTIONS["lunch"] + CONTRIBUTIONS["parental_level_of_education"]
    )
    assert combined.text == "Background facts (lunch, parental education)"
    assert [p.feature for p in result.background_parts] == ["lunch", "parental_level_of_education"]
    assert result.excluded == ["gender", "race/ethnicity group"]
    every = explanations.teacher_reasons(
        STUDENT, CONTRIBUTIONS, features_used=used, show_background=True
    )
    assert {r.feature for r in every.lines} == set(used)
    assert every.background_parts == []


def test_a_what_if_against_intuition_says_why_first():
    """Completing the course lowering the figure (or skipping it raising it) carries the
    reason; an ordinary answer carries none."""
    base = {"from": "none", "predicted_math_score": 60.0}
    lowers, raises, usual = explanations.what_if_lines(
        [
            {**base, "feature": "test_preparation_course", "to": "completed", "delta": -1.2},
            {**base, "feature": "test_preparation_course", "to": "none", "delta": 0.8},
            {
                "feature": "reading_score",
                "from": 60,
                "to": 70,
                "predicted_math_score": 65,
                "delta": 3.0,
            },
        ]
    )
    assert lowers.why.startswith("Why lower: the model compares students with the same reading")
    assert raises.why.startswith("Why higher")
    assert usual.why == ""
