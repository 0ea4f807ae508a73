"""ml.what_if.what_if: the same student with one input changed, scored by the model."""

from __future__ import annotations

import pytest

from ml.predict import records_frame
from ml.what_if import what_if, what_if_changes
from tests.factories import STUDENT


def test_it_flips_test_preparation_and_adds_ten_reading_points():
    """A student without preparation is asked about completing it and reading 10 higher."""
    assert what_if_changes(STUDENT) == [
        ("test_preparation_course", "completed"),
        ("reading_score", 82),
    ]


def test_it_asks_about_no_preparation_for_a_student_who_completed_it():
    """For a student who completed the course, the question is the other way round."""
    changes = dict(what_if_changes({**STUDENT, "test_preparation_course": "completed"}))
    assert changes["test_preparation_course"] == "none"


def test_it_caps_reading_at_100_and_drops_an_empty_change():
    """95 becomes 100, not 105; a student already at 100 gets no reading question."""
    assert dict(what_if_changes({**STUDENT, "reading_score": 95}))["reading_score"] == 100
    assert [n for n, _ in what_if_changes({**STUDENT, "reading_score": 100})] == [
        "test_preparation_course"
    ]


def test_deltas_are_the_models_own_predictions(trained):
    """Each delta is the model's score of the changed student minus its score of the
    student as entered (synthetic data: preparation is worth about +3 points)."""
    answers = what_if(trained.model, STUDENT)
    base = trained.model.predict_point(records_frame([STUDENT]))[0]
    for answer in answers:
        changed = {**STUDENT, answer["feature"]: answer["to"]}
        expected = trained.model.predict_point(records_frame([changed]))[0]
        assert answer["predicted_math_score"] == pytest.approx(expected)
        assert answer["delta"] == pytest.approx(expected - base)
        assert answer["from"] == STUDENT[answer["feature"]]
    prep = answers[0]
    assert prep["feature"] == "test_preparation_course" and 1 < prep["delta"] < 5
    reading = answers[1]
    assert reading["feature"] == "reading_score" and reading["delta"] > 0
