"""Students unlike the training rows are flagged, with a reason a teacher can read."""

from __future__ import annotations

import pytest

from ml import synth
from ml.predict import records_frame
from ml.unusual import UnusualProfile
from tests.factories import STUDENT


@pytest.fixture(scope="module")
def training_rows():
    return synth.generate(1000, seed=11)


@pytest.fixture(scope="module")
def profile(training_rows):
    return UnusualProfile.fit(training_rows)


def test_about_one_training_student_in_a_hundred_is_past_the_threshold(profile, training_rows):
    """The threshold is the 99th percentile of the training rows' own distances."""
    flags, _ = profile.flag_rows(training_rows)
    assert 0.005 <= flags.mean() <= 0.015


def test_a_reading_writing_gap_far_beyond_the_usual_is_flagged_and_named(profile):
    """Reading 95 with writing 30 is flagged; the reason gives the gap and its rarity."""
    flagged, reason = profile.flag_one({**STUDENT, "reading_score": 95, "writing_score": 30})
    assert flagged
    assert reason.startswith("reading and writing scores differ by 65 points (reading higher)")
    assert "training students" in reason


def test_a_typical_student_is_not_flagged(profile):
    """Reading 72 and writing 74 is near the middle of the training data."""
    assert profile.flag_one(STUDENT) == (False, "")


def test_both_scores_far_below_the_usual_level_are_named_as_low(profile):
    """Reading 2 and writing 4 agree with each other but are far below everyone."""
    flagged, reason = profile.flag_one({**STUDENT, "reading_score": 2, "writing_score": 4})
    assert flagged and "reading 2 and writing 4 are unusually low" in reason


def test_a_category_no_training_row_had_is_flagged(training_rows):
    """A training file without group E makes a group E student unusual."""
    profile = UnusualProfile.fit(training_rows[training_rows["race_ethnicity"] != "group E"])
    flagged, reason = profile.flag_one({**STUDENT, "race_ethnicity": "group E"})
    assert flagged and "race/ethnicity group 'group E' never appeared" in reason


def test_the_model_flags_rows_in_batches_and_single_predictions(trained):
    """predict and predict_one carry the same flag and reason."""
    odd = {**STUDENT, "reading_score": 100, "writing_score": 20}
    one = trained.model.predict_one(odd)
    row = trained.model.predict(records_frame([odd, STUDENT])).row(0)
    assert one["unusual"] == row["unusual"]
    assert one["unusual"]["flagged"] and "differ by 80 points" in one["unusual"]["reason"]
    assert trained.model.predict_one(STUDENT)["unusual"]["flagged"] is False
