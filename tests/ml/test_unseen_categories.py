"""A category the model never saw: scored as an average of those it saw, with a warning
and no invented contribution."""

import dataclasses

import numpy as np
import pytest

from ml.data import validate_frame
from ml.predict import records_frame
from ml.train import train
from tests.factories import STUDENT, make_students

GROUP_A = {**STUDENT, "race_ethnicity": "group A"}


@pytest.fixture(scope="module")
def without_group_a():
    students = make_students(300, seed=0)
    return students[students["race_ethnicity"] != "group A"].reset_index(drop=True)


@pytest.fixture(scope="module", params=["ridge", "xgboost"])
def model(request, without_group_a):
    return train(without_group_a, seed=0, quick=True, candidates=[request.param], n_jobs=1).model


def test_the_model_records_the_categories_it_saw(model):
    """Training keeps, per categorical feature, the categories that had rows."""
    assert model.categories_seen["race_ethnicity"] == ["group B", "group C", "group D", "group E"]


def test_an_unseen_category_gets_a_warning_and_no_points(model):
    """predict_one answers with the warning, a contribution of exactly 0 for that feature,
    and contributions that still sum to score − baseline."""
    result = model.predict_one(GROUP_A)
    assert result["warnings"] == [
        'race_ethnicity "group A" was not in this model\'s training data: it was scored as an '
        "average student of the others it saw (group B, group C, group D, group E), weighted "
        "as they were in training, and gets no points of its own"
    ]
    assert result["contributions"]["race_ethnicity"] == 0.0
    total = result["baseline"] + sum(result["contributions"].values())
    # XGBoost attributes in float32.
    assert total == pytest.approx(result["predicted_math_score"], abs=1e-4)
    assert model.predict_one(STUDENT)["warnings"] == []


def test_the_score_is_the_average_of_the_groups_it_saw(model):
    """What the warning says is true: the score is the average of the same student in each
    group the model saw, weighted by the groups' shares of its training rows."""
    shares = model.seen_shares("race_ethnicity")
    assert list(shares) == ["group B", "group C", "group D", "group E"]
    assert sum(shares.values()) == pytest.approx(1)
    variants = [{**STUDENT, "race_ethnicity": g} for g in shares]
    points = model.predict_point(records_frame(variants))
    expected = float(np.dot(points, list(shares.values())))
    assert model.predict_one(GROUP_A)["predicted_math_score"] == pytest.approx(expected)


def test_a_batch_flags_only_its_unseen_rows(model):
    """In one call, the unseen row is averaged and warned about; the others are scored as
    alone."""
    frame = records_frame([STUDENT, GROUP_A, {**STUDENT, "reading_score": 90}])
    batch = model.predict(frame)
    assert [len(w) for w in batch.warnings] == [0, 1, 0]
    alone = model.predict(records_frame([STUDENT]))
    assert batch.point[0] == pytest.approx(alone.point[0])
    assert batch.contributions[1, 1] == 0.0


def test_a_linear_model_keeps_its_baseline_for_an_unseen_row(without_group_a):
    """For ridge the averaged contribution of the unseen feature is exactly 0, so nothing
    moves into the baseline."""
    ridge = train(without_group_a, seed=0, quick=True, candidates=["ridge"], n_jobs=1).model
    assert ridge.predict_one(GROUP_A)["baseline"] == pytest.approx(
        ridge.predict_one(STUDENT)["baseline"]
    )


def test_a_model_pickled_before_categories_were_recorded_warns_about_nothing(model):
    """Older artifacts have no profile: every category counts as seen, as before."""
    old = dataclasses.replace(model, unusual_profile=None)
    assert old.categories_seen is None
    assert old.predict_one(GROUP_A)["warnings"] == []


def test_the_data_report_warns_about_a_category_with_no_rows(without_group_a):
    """The summary train_model prints names a schema category that has no rows."""
    _, report = validate_frame(without_group_a)
    assert report.missing_categories == {"race_ethnicity": ["group A"]}
    assert 'WARNING: no rows with race_ethnicity "group A"' in report.summary()
