"""The prediction serializers: the API contract's shape, and fields of their own."""

import pytest

from predictor.errors import NoModelError
from predictor.models import Prediction
from predictor.predictions import services
from predictor.predictions.serializers import PredictionSerializer
from tests.factories import STUDENT


def stored_predictions() -> list[Prediction]:
    """One prediction of each kind, read back from the database."""
    scored = services.prediction_create(features=dict(STUDENT), channel="api", reference="7B")
    services.prediction_record_outcome(prediction=scored, actual_math_score=71)
    rejected = services.prediction_reject(
        errors={"reading_score": ["must be between 0 and 100"]},
        channel="api",
        raw_payload={"reading_score": 400},
        features={"gender": "female"},
    )
    return [
        services.prediction_create(features=dict(STUDENT), channel="form"),
        Prediction.objects.get(pk=scored.pk),
        Prediction.objects.get(pk=rejected.pk),
    ]


KEYS = {
    "id", "created_at", "channel", "status", "gender", "race_ethnicity",
    "parental_level_of_education", "lunch", "test_preparation_course", "reading_score",
    "writing_score", "reference", "predicted_math_score", "interval", "baseline",
    "contributions", "warnings", "features_used", "unusual", "model_version", "latency_ms",
    "errors", "actual_math_score", "actual_recorded_at",
}  # fmt: skip


def test_a_scored_prediction_serializes_to_the_api_contract(production_model):
    """Fresh and reloaded scored rows: the contract's keys, an interval object, and
    contributions that sum to the score less the baseline."""
    fresh, reloaded, _ = stored_predictions()
    for prediction in (fresh, reloaded):
        data = PredictionSerializer(prediction).data
        assert set(data) == KEYS
        assert data["status"] == "ok"
        assert set(data["interval"]) == {"low", "high", "level"}
        assert data["interval"]["low"] <= data["predicted_math_score"] <= data["interval"]["high"]
        assert data["model_version"] == production_model.version
        total = sum(data["contributions"].values())
        assert total == pytest.approx(data["predicted_math_score"] - data["baseline"], abs=1e-6)
    assert PredictionSerializer(reloaded).data["actual_math_score"] == 71
    assert PredictionSerializer(reloaded).data["reference"] == "7B"


def test_a_rejected_attempt_serializes_with_nulls_and_its_errors(production_model):
    """A rejected row keeps the values that passed, nulls for the rest, and its errors."""
    rejected = stored_predictions()[2]
    data = PredictionSerializer(rejected).data
    assert set(data) == KEYS
    assert data["status"] == "rejected"
    assert data["gender"] == "female"
    assert data["reading_score"] is None
    assert data["interval"] is None and data["contributions"] is None
    assert data["model_version"] is None
    assert data["features_used"] == [] and data["unusual"] == {"flagged": False, "reason": ""}
    assert data["errors"] == {"reading_score": "must be between 0 and 100"}


def test_a_failed_attempt_serializes_with_nulls(db):
    """With no model the attempt is stored as failed, with nulls where scores would be."""
    with pytest.raises(NoModelError):
        services.prediction_create(features=dict(STUDENT), channel="api")
    failed = Prediction.objects.get()
    assert failed.status == Prediction.Status.FAILED
    data = PredictionSerializer(failed).data
    assert data["predicted_math_score"] is None and data["interval"] is None
    assert data["errors"]["model"]


def test_a_list_serializes_each_row(production_model):
    """``many=True`` (the history endpoints) gives one item per row, in order."""
    predictions = stored_predictions()
    listed = PredictionSerializer(predictions, many=True).data
    assert [row["id"] for row in listed] == [p.pk for p in predictions]
    assert [row["status"] for row in listed] == ["ok", "ok", "rejected"]


def test_input_serializers_get_fields_of_their_own():
    """Each serializer gets its own bound fields, so
    one request's errors never show in another's."""
    from predictor.predictions.serializers import PredictionInputSerializer

    bad = PredictionInputSerializer(data={**STUDENT, "reading_score": 400, "lunch": "caviar"})
    good = PredictionInputSerializer(data=dict(STUDENT))
    assert not bad.is_valid()
    assert good.is_valid(), good.errors
    assert set(bad.errors) == {"reading_score", "lunch"}
    for name in PredictionInputSerializer._declared_fields:
        assert bad.fields[name] is not good.fields[name]
        assert bad.fields[name].parent is bad
        assert good.fields[name].parent is good
    assert good.features() == {name: STUDENT[name] for name in good.features()}


def test_the_shared_answer_equals_a_fresh_serializers_for_every_kind_of_row(production_model):
    """``prediction_data`` (one serializer instance for all answers) gives exactly what a
    new ``PredictionSerializer`` gives, row after row, with nothing carried between rows."""
    from predictor.predictions.serializers import prediction_data

    predictions = stored_predictions()
    for prediction in predictions + list(reversed(predictions)):
        assert prediction_data(prediction) == PredictionSerializer(prediction).data


ODD_BODIES = [
    dict(STUDENT),
    {**STUDENT, "reference": "7B-12"},
    {**STUDENT, "reading_score": 400, "lunch": "caviar"},
    {**STUDENT, "reading_score": "72.5"},
    {**STUDENT, "gender": None},
    {**STUDENT, "reference": "x" * 201},
    {},
    {"reading_score": True},
    None,
    [],
    [dict(STUDENT)],
    "gender=female",
    7,
]


@pytest.mark.parametrize("body", ODD_BODIES, ids=repr)
def test_shared_input_validation_answers_as_a_fresh_serializer(body):
    """``prediction_input_validate`` (one instance for all requests) accepts and refuses
    exactly what ``PredictionInputSerializer(data=body).is_valid()`` does, with the same
    clean values and the same errors, DRF's "No data provided" included."""
    from predictor.predictions.serializers import (
        PredictionInputSerializer,
        prediction_input_validate,
    )

    fresh = PredictionInputSerializer(data=body)
    valid = fresh.is_valid()
    validated, errors = prediction_input_validate(body)
    if valid:
        assert errors is None and dict(validated) == dict(fresh.validated_data)
    else:
        assert validated is None and errors == fresh.errors and errors


def test_shared_input_validation_keeps_no_state_between_threads():
    """Eight threads validating good and bad bodies at once each get their own answer."""
    from concurrent.futures import ThreadPoolExecutor

    from predictor.predictions.serializers import prediction_input_validate

    bodies = [{**STUDENT, "reading_score": score} for score in range(0, 200, 1)]

    def check(body):
        validated, errors = prediction_input_validate(body)
        if body["reading_score"] <= 100:
            return errors is None and validated["reading_score"] == body["reading_score"]
        return validated is None and set(errors) == {"reading_score"}

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(check, bodies * 5))
