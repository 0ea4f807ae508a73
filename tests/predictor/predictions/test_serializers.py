"""The prediction serializer's written-out representation agrees with DRF's generic one."""

import pytest
from rest_framework import serializers

from predictor.errors import NoModelError
from predictor.models import Prediction
from predictor.predictions import services
from predictor.predictions.serializers import PredictionSerializer
from tests.factories import STUDENT


def generic(prediction: Prediction) -> dict:
    """What ``ModelSerializer`` itself makes of the prediction, field by field."""
    serializer = PredictionSerializer(prediction)
    return dict(serializers.ModelSerializer.to_representation(serializer, prediction))


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


def test_every_kind_of_prediction_serializes_as_drf_would(production_model):
    """Fresh and reloaded scored rows, one with an outcome, and a rejected row."""
    for prediction in stored_predictions():
        assert PredictionSerializer(prediction).data == generic(prediction)


def test_a_failed_attempt_serializes_as_drf_would(db):
    """With no model the attempt is stored as failed, with nulls where scores would be."""
    with pytest.raises(NoModelError):
        services.prediction_create(features=dict(STUDENT), channel="api")
    failed = Prediction.objects.get()
    assert failed.status == Prediction.Status.FAILED
    assert PredictionSerializer(failed).data == generic(failed)


def test_a_list_serializes_as_drf_would(production_model):
    """``many=True`` (the history endpoints) gives each row's generic representation."""
    predictions = stored_predictions()
    listed = PredictionSerializer(predictions, many=True).data
    assert [dict(row) for row in listed] == [generic(p) for p in predictions]


def test_input_serializers_get_fields_of_their_own():
    """The input fields' cheap copy still gives each serializer its own bound fields, so
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
