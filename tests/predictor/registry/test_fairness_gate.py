"""predictor.registry.fairness_gate: a candidate that serves a group worse is refused."""

import copy

import pytest

from ml.train import train
from predictor.registry.fairness_gate import COVERAGE_FLOOR, fairness_gate
from predictor.registry.services import model_version_register
from tests.factories import make_prediction, make_students


@pytest.fixture(scope="module")
def unseen():
    """400 students neither model was fitted on (another seed of the same structure)."""
    return make_students(400, seed=9)


def register(result):
    version, _, _ = model_version_register(result=result, promote=False, actor_label="tests")
    return version


def test_a_candidate_as_fair_as_production_passes(production_model, trained, unseen):
    """The same model registered again keeps every group's coverage and gaps."""
    candidate = register(copy.copy(trained))
    gate = fairness_gate(candidate=candidate, production=production_model, rows=unseen)
    assert gate.passed, gate.reasons
    assert gate.rows == 400
    genders = {g["group"]: g for g in gate.groups["gender"]}
    assert genders["female"]["count"] + genders["male"]["count"] == 400
    assert genders["female"]["production"] is not None


def test_a_candidate_whose_ranges_miss_a_group_is_refused(production_model, trained, unseen):
    """Intervals of ±2 points cover far fewer than 83% of any group: refused, naming them."""
    result = copy.copy(trained)
    result.model = copy.deepcopy(trained.model)
    result.model.interval_method = "marginal"
    result.model.interval_half_width = 2.0
    candidate = register(result)
    gate = fairness_gate(candidate=candidate, production=production_model, rows=unseen)
    assert not gate.passed
    assert any(
        "holds for only" in r and f"below the floor of {COVERAGE_FLOOR:.0%}" in r
        for r in gate.reasons
    )


def test_a_candidate_trained_without_gender_widens_the_bias_gap_and_is_refused(
    production_model, students, unseen
):
    """Boys score 6 points more for the same reading and writing here: without gender the
    candidate over-predicts girls and under-predicts boys, so the bias gap between them
    widens by far more than a point."""
    result = train(
        students,
        seed=0,
        quick=True,
        candidates=["ridge"],
        n_jobs=1,
        exclude_features=["gender"],
        interval_method="mondrian",
        fairness_resamples=0,
    )
    candidate = register(result)
    gate = fairness_gate(candidate=candidate, production=production_model, rows=unseen)
    assert not gate.passed
    assert any("largest bias gap between gender groups widens" in r for r in gate.reasons)


def test_rows_either_model_was_fitted_on_are_left_out(production_model, trained, students):
    """Given the training data, only its 60 held-out rows are compared; given no row and no
    live score, nothing is, and the gate passes saying so."""
    candidate = register(copy.copy(trained))
    gate = fairness_gate(candidate=candidate, production=production_model, rows=students)
    assert gate.passed and gate.rows == 60  # only the 60 held-out rows remain
    gate = fairness_gate(
        candidate=candidate,
        production=production_model,
        rows=students.iloc[:0],
    )
    assert gate.passed and gate.rows == 0
    assert "fairness not compared: only 0 rows" in gate.reasons[0]


def test_live_predictions_with_a_real_score_are_replayed(production_model, trained, unseen):
    """Stored inputs with a recorded real score count as comparable rows."""
    for record in unseen.head(40).to_dict("records"):
        make_prediction(
            **{k: record[k] for k in record if k != "math_score"},
            actual_math_score=record["math_score"],
        )
    candidate = register(copy.copy(trained))
    gate = fairness_gate(candidate=candidate, production=production_model)
    assert gate.rows == 40


def test_a_group_both_versions_cover_below_the_floor_is_reported_not_held_against_it(
    production_model, trained, unseen
):
    """Production and candidate with the same ±2-point ranges: every group is below the
    floor under both, which the gate says without refusing the candidate for it."""
    from predictor.models import ModelVersion

    result = copy.copy(trained)
    result.model = copy.deepcopy(trained.model)
    result.model.interval_method = "marginal"
    result.model.interval_half_width = 2.0
    first = register(result)
    second = register(copy.copy(result))
    ModelVersion.objects.filter(pk=production_model.pk).update(status="archived")
    ModelVersion.objects.filter(pk=first.pk).update(status="production")
    gate = fairness_gate(candidate=second, production=first, rows=unseen)
    assert gate.passed, gate.reasons
    assert any("as under production" in r and "not judged" in r for r in gate.reasons)


def promote_without_gender(students):
    """Production trained without gender: a weaker, gender-biased version to beat."""
    from predictor.registry.services import model_version_promote

    weaker = register(
        train(
            students,
            seed=0,
            quick=True,
            candidates=["ridge"],
            n_jobs=1,
            exclude_features=["gender"],
            interval_method="mondrian",
            fairness_resamples=0,
        )
    )
    return model_version_promote(model_version=weaker, actor_label="tests", reason="weaker")


def test_registering_a_better_but_unfair_version_keeps_it_a_candidate(
    production_model, trained, students
):
    """What ``train_model`` does: a version that beats production on RMSE but whose ranges
    miss every group is registered as a candidate, the gate's reasons in its register
    event, and production keeps serving."""
    from predictor.models import ModelVersion, ModelVersionEvent

    weaker = promote_without_gender(students)
    narrow = copy.copy(trained)
    narrow.model = copy.deepcopy(trained.model)
    narrow.model.interval_method = "marginal"
    narrow.model.interval_half_width = 2.0
    version, promoted, reason = model_version_register(
        result=narrow, promote=True, actor_label="tests"
    )
    assert not promoted
    assert reason.startswith("beats production")
    assert "kept as a candidate, as the fairness gate refused" in reason
    assert ModelVersion.objects.production().get().pk == weaker.pk
    version.refresh_from_db()
    assert version.status == ModelVersion.Status.CANDIDATE
    event = ModelVersionEvent.objects.get(model_version=version)
    assert "holds for only" in event.reason


def test_registering_a_better_and_fairer_version_promotes_it(production_model, trained, students):
    """The same path with production trained without gender (biased by gender) and a
    version with it: lower RMSE, narrower gender gaps, ranges that hold: promoted."""
    from predictor.models import ModelVersion

    promote_without_gender(students)
    version, promoted, reason = model_version_register(
        result=copy.copy(trained), promote=True, actor_label="tests"
    )
    assert promoted, reason
    assert ModelVersion.objects.production().get().pk == version.pk
