"""Group-conditional ("Mondrian") split-conformal intervals: coverage within each group."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml import artifact, schema, synth
from ml.conformal import MIN_GROUP_SIZE, MondrianCalibration, conformal_quantile
from ml.predict import records_frame
from ml.train import train
from tests.factories import STUDENT

LEVEL = 0.9
# Free/reduced-lunch students' errors are four times as spread as the others'.
NOISE_SD = {"standard": 3.0, "free/reduced": 12.0}


def heteroscedastic(n: int, seed: int) -> pd.DataFrame:
    """Synthetic students (ml.synth) whose math score gets extra noise by lunch group."""
    frame = synth.generate(n, seed=seed)
    rng = np.random.default_rng(seed + 1000)
    sd = frame["lunch"].map(NOISE_SD).to_numpy()
    frame["math_score"] = np.clip(np.rint(frame["math_score"] + rng.normal(0, sd)), 0, 100)
    frame["math_score"] = frame["math_score"].astype("int64")
    return frame


def covered_by_group(batch, frame: pd.DataFrame, attribute: str) -> dict[str, float]:
    """Fraction of each lunch group's real scores inside their interval."""
    actual = frame["math_score"].to_numpy()
    inside = (actual >= batch.low) & (actual <= batch.high)
    return {g: float(inside[(frame[attribute] == g).to_numpy()].mean()) for g in NOISE_SD}


def test_each_group_gets_its_own_quantile_and_a_row_the_largest_of_its_groups():
    """Half-widths per group are the within-group conformal quantiles; a row takes the
    max over its attributes' groups."""
    rng = np.random.default_rng(0)
    groups = pd.DataFrame(
        {
            "lunch": rng.choice(["standard", "free/reduced"], 600),
            "gender": rng.choice(["female", "male"], 600),
        }
    )
    residuals = np.abs(rng.normal(0, np.where(groups["lunch"] == "standard", 3.0, 12.0)))
    calibration = MondrianCalibration.fit(residuals, groups, ["lunch", "gender"], level=LEVEL)
    for attribute in ("lunch", "gender"):
        for group, width in calibration.half_widths[attribute].items():
            mask = (groups[attribute] == group).to_numpy()
            assert width == conformal_quantile(residuals[mask], LEVEL)
    row = {"lunch": "standard", "gender": "male"}
    expected = max(
        calibration.half_widths["lunch"]["standard"], calibration.half_widths["gender"]["male"]
    )
    assert calibration.half_width_one(row) == expected
    assert calibration.half_width_rows(pd.DataFrame([row]))[0] == expected


def test_mondrian_covers_each_group_where_marginal_undercovers_the_noisy_one():
    """On data whose error spread differs by lunch group, marginal intervals cover the
    noisy group well under 90%; Mondrian covers every lunch and gender group at 90% or more.
    (The max over attributes is conservative: the calm group, whose gender and race groups
    mix in noisy students, is over-covered; the guarantee is a lower bound.)"""
    result = train(
        heteroscedastic(1500, seed=5),
        seed=0,
        quick=True,
        candidates=["ridge"],
        n_jobs=1,
        interval_method="mondrian",
        fairness_resamples=0,
    )
    fresh = heteroscedastic(4000, seed=77)
    served = result.model.predict(fresh)
    result.model.interval_method = "marginal"
    marginal = covered_by_group(result.model.predict(fresh), fresh, "lunch")
    mondrian = covered_by_group(served, fresh, "lunch")
    assert marginal["free/reduced"] < 0.83
    assert mondrian["free/reduced"] >= 0.88 and mondrian["standard"] >= 0.88, mondrian
    actual = fresh["math_score"].to_numpy()
    inside = (actual >= served.low) & (actual <= served.high)
    for gender in ("female", "male"):
        assert inside[(fresh["gender"] == gender).to_numpy()].mean() >= 0.88


def test_a_small_group_falls_back_to_the_marginal_half_width():
    """A group with fewer than MIN_GROUP_SIZE calibration rows uses the marginal quantile,
    and the calibration says so."""
    n_small = MIN_GROUP_SIZE - 1
    groups = pd.DataFrame({"race_ethnicity": ["group A"] * n_small + ["group C"] * 300})
    residuals = np.concatenate([np.full(n_small, 50.0), np.linspace(0, 10, 300)])
    calibration = MondrianCalibration.fit(residuals, groups, ["race_ethnicity"], level=LEVEL)
    assert calibration.group_half_width("race_ethnicity", "group A") == calibration.marginal
    assert calibration.group_half_width("race_ethnicity", "group E") == calibration.marginal
    rows = {r["group"]: r for r in calibration.as_dict()["groups"]["race_ethnicity"]}
    assert rows["group A"] == {
        "group": "group A",
        "count": n_small,
        "half_width": calibration.marginal,
        "fallback": True,
    }
    assert rows["group C"]["fallback"] is False


def test_the_model_serves_per_row_intervals_on_both_paths_and_keeps_them_in_the_artifact():
    """predict and predict_one give the same group-conditional interval after a round trip;
    the held-out coverage in the metrics is that of the served intervals."""
    result = train(
        heteroscedastic(800, seed=2),
        seed=0,
        quick=True,
        candidates=["ridge"],
        n_jobs=1,
        interval_method="mondrian",
        fairness_resamples=0,
    )
    model = artifact.loads(*artifact.dumps(result.model))
    students = [{**STUDENT, "lunch": "standard"}, {**STUDENT, "lunch": "free/reduced"}]
    batch = model.predict(records_frame(students))
    widths = batch.high - batch.low
    expected = [2 * model.mondrian.half_width_one(student) for student in students]
    assert widths == pytest.approx(expected)
    assert (
        widths[1]
        > 2 * model.interval_half_width
        > 2 * model.mondrian.half_widths["lunch"]["standard"]
    )
    for i, student in enumerate(students):
        assert model.predict_one(student)["interval"] == pytest.approx(batch.row(i)["interval"])
    holdout = result.holdout
    served = model.predict(holdout)
    inside = (holdout["math_score"] >= served.low) & (holdout["math_score"] <= served.high)
    assert result.metrics["interval_coverage"] == pytest.approx(inside.mean())
    assert result.interval_calibration["method"] == "mondrian"
    assert set(result.interval_calibration["mondrian"]["groups"]) == {
        "gender",
        "race_ethnicity",
        "lunch",
    }


def test_a_model_without_a_calibration_falls_back_to_marginal(trained):
    """An older artifact told to serve Mondrian but holding no calibration serves marginal."""
    model = artifact.loads(*artifact.dumps(trained.model))
    model.__dict__.pop("mondrian")
    model.interval_method = "mondrian"
    assert not model.serves_mondrian
    half = model.interval_half_widths(trained.holdout)
    assert np.all(half == trained.metrics["interval_half_width"])


def test_an_attribute_the_model_may_not_use_is_not_used_to_calibrate_either():
    """Trained without gender, the intervals calibrate on race/ethnicity and lunch only."""
    result = train(
        synth.generate(400, seed=4),
        seed=0,
        quick=True,
        candidates=["ridge"],
        n_jobs=1,
        exclude_features=["gender"],
        interval_method="mondrian",
        fairness_resamples=0,
    )
    assert result.model.mondrian.attributes == ("race_ethnicity", "lunch")
    assert schema.FEATURE_NAMES[0] == "gender"
