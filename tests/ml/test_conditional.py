"""Group-conditional intervals by quantile regression on group indicators (ml.conditional):
90% within every group of overlapping attributes, without the max rule's over-coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml import artifact, synth
from ml.conditional import ConditionalCalibration
from ml.conformal import MIN_GROUP_SIZE, conformal_quantile
from ml.predict import records_frame
from ml.train import train
from tests.factories import STUDENT
from tests.ml.test_mondrian import heteroscedastic

LEVEL = 0.9


def fit(frame: pd.DataFrame, **options):
    """A quick ridge model serving conditional intervals, as the tests here train it."""
    return train(
        frame,
        seed=0,
        quick=True,
        candidates=["ridge"],
        n_jobs=1,
        interval_method="conditional",
        fairness_resamples=0,
        **options,
    )


def coverage_by_group(batch, frame: pd.DataFrame, attribute: str) -> dict[str, float]:
    """Fraction of each group's real scores inside their interval."""
    actual = frame["math_score"].to_numpy()
    inside = (actual >= batch.low) & (actual <= batch.high)
    values = frame[attribute].to_numpy()
    return {g: float(inside[values == g].mean()) for g in sorted(set(values))}


@pytest.mark.parametrize("sizes", [(89, 150), (99, 119), (40, 300)])
def test_with_one_attribute_it_is_the_split_conformal_quantile_of_each_group(sizes):
    """A partition is the special case where the method reduces to Mondrian: each group's
    half-width is its ceil((n+1)·0.9)-th smallest score, also when (n+1)·0.9 is whole (89, 99
    rows), where the quantile regression has a flat stretch."""
    n_female, n_male = sizes
    rng = np.random.default_rng(n_female)
    groups = pd.DataFrame({"gender": ["female"] * n_female + ["male"] * n_male})
    scores = np.abs(rng.normal(0, 5, n_female + n_male))
    calibration = ConditionalCalibration.fit(
        scores, groups, ["gender"], level=LEVEL, reliable_group_size=0
    )
    assert calibration.half_widths["female"] == pytest.approx(
        conformal_quantile(scores[:n_female], LEVEL), abs=1e-6
    )
    assert calibration.half_widths["male"] == pytest.approx(
        conformal_quantile(scores[n_female:], LEVEL), abs=1e-6
    )


def test_each_overlapping_group_is_covered_near_90_where_the_max_rule_over_covers():
    """Noise differs by lunch group. Conditional intervals cover every lunch, gender and
    test-preparation group of fresh students within 0.87–0.93; the Mondrian max rule, which
    gives a calm student the width of their noisier gender and race groups, over-covers the
    calm lunch group by more."""
    result = fit(heteroscedastic(1500, seed=5))
    fresh = heteroscedastic(4000, seed=77)
    served = result.model.predict(fresh)
    for attribute in ("lunch", "gender", "test_preparation_course"):
        for group, covered in coverage_by_group(served, fresh, attribute).items():
            assert 0.87 <= covered <= 0.93, (attribute, group, covered)
    result.model.interval_method = "mondrian"
    max_rule = coverage_by_group(result.model.predict(fresh), fresh, "lunch")
    conditional = coverage_by_group(served, fresh, "lunch")
    assert max_rule["standard"] - conditional["standard"] > 0.02, (max_rule, conditional)
    assert result.interval_calibration["method"] == "conditional"
    assert result.interval_calibration["conditional"]["attributes"] == [
        "gender",
        "race_ethnicity",
        "lunch",
        "test_preparation_course",
    ]


def test_a_small_group_is_pooled_and_never_narrower_than_the_marginal_interval():
    """A group with fewer than MIN_GROUP_SIZE rows (and one with none) gets no indicator;
    its rows' half-width is at least the marginal one, and the calibration says so."""
    n_small = MIN_GROUP_SIZE - 1
    groups = pd.DataFrame({"race_ethnicity": ["group A"] * n_small + ["group C"] * 300})
    scores = np.concatenate([np.full(n_small, 1.0), np.linspace(0, 20, 300)])
    calibration = ConditionalCalibration.fit(scores, groups, ["race_ethnicity"], level=LEVEL)
    assert calibration.columns == ()
    for group in ("group A", "group E"):
        assert calibration.half_width_one({"race_ethnicity": group}) >= calibration.marginal
    rows = {r["group"]: r for r in calibration.as_dict()["groups"]["race_ethnicity"]}
    assert rows["group A"] == {
        "group": "group A",
        "count": n_small,
        "pooled": True,
        "floored": True,
    }
    assert rows["group E"]["pooled"] is True and rows["group E"]["count"] == 0
    assert rows["group C"]["pooled"] is False and rows["group C"]["floored"] is False


def test_a_group_under_100_rows_is_widened_by_its_own_rows_but_never_narrowed():
    """A 60-row group whose scores are small keeps the marginal half-width; a 60-row group
    whose scores are large gets its own, wider one."""
    rng = np.random.default_rng(3)
    groups = pd.DataFrame(
        {"race_ethnicity": ["group A"] * 60 + ["group B"] * 60 + ["group C"] * 400}
    )
    scores = np.abs(rng.normal(0, np.repeat([2.0, 20.0, 6.0], [60, 60, 400])))
    calibration = ConditionalCalibration.fit(scores, groups, ["race_ethnicity"], level=LEVEL)
    assert calibration.half_width_one({"race_ethnicity": "group A"}) == calibration.marginal
    assert calibration.half_width_one({"race_ethnicity": "group B"}) == pytest.approx(
        conformal_quantile(scores[60:120], LEVEL), abs=1e-6
    )
    assert calibration.half_width_one({"race_ethnicity": "group C"}) < calibration.marginal


def test_too_few_rows_for_the_level_give_the_whole_score_scale():
    """With 5 rows a 90% quantile cannot be estimated: the half-width is 100 points."""
    groups = pd.DataFrame({"lunch": ["standard"] * 5})
    calibration = ConditionalCalibration.fit(
        np.arange(5.0), groups, ["lunch"], level=LEVEL, min_group_size=1
    )
    assert calibration.half_width_one({"lunch": "standard"}) == 100.0


def test_the_model_serves_the_same_conditional_interval_on_both_paths_after_a_round_trip():
    """predict and predict_one agree, a free-lunch student's range is wider than a standard
    one's on noisy-by-lunch data, and the held-out coverage is that of the served ranges."""
    result = fit(heteroscedastic(800, seed=2))
    model = artifact.loads(*artifact.dumps(result.model))
    students = [{**STUDENT, "lunch": "standard"}, {**STUDENT, "lunch": "free/reduced"}]
    batch = model.predict(records_frame(students))
    widths = batch.high - batch.low
    assert widths == pytest.approx([2 * model.conditional.half_width_one(s) for s in students])
    assert widths[1] > widths[0]
    for i, student in enumerate(students):
        assert model.predict_one(student)["interval"] == pytest.approx(batch.row(i)["interval"])
    holdout = result.holdout
    served = model.predict(holdout)
    inside = (holdout["math_score"] >= served.low) & (holdout["math_score"] <= served.high)
    assert result.metrics["interval_coverage"] == pytest.approx(inside.mean())
    assert result.interval_calibration["holdout"]["conditional"]["interval_coverage"] == (
        pytest.approx(inside.mean())
    )


def test_an_excluded_feature_is_not_conditioned_on():
    """Trained without gender and test preparation, the intervals condition on the rest."""
    result = fit(
        synth.generate(400, seed=4), exclude_features=["gender", "test_preparation_course"]
    )
    assert result.model.conditional.attributes == ("race_ethnicity", "lunch")
