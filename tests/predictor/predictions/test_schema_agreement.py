"""The form, the API serializer, the CSV loader and the model agree with ml.schema."""

from ml import schema
from ml.data import row_errors
from predictor.models import Prediction
from predictor.predictions.forms import PredictionForm
from predictor.predictions.serializers import PredictionInputSerializer


def test_form_and_serializer_have_the_schema_fields_and_choices():
    """Both input paths offer exactly the schema's features and categories."""
    form = PredictionForm()
    serializer = PredictionInputSerializer()
    for feature in schema.FEATURES:
        form_field = form.fields[feature.name]
        api_field = serializer.fields[feature.name]
        assert form_field.label == feature.label
        if feature.is_categorical:
            assert [c for c, _ in form_field.choices if c] == list(feature.choices)
            assert list(api_field.choices) == list(feature.choices)
        else:
            assert (form_field.min_value, form_field.max_value) == (0, 100)
            assert (api_field.min_value, api_field.max_value) == (0, 100)
    assert set(serializer.fields) - {"reference"} == set(schema.FEATURE_NAMES)


def test_the_loader_accepts_and_rejects_what_the_serializer_does():
    """A row the CSV loader accepts validates in the API, and an out-of-range one fails both."""
    good = {
        "gender": "male",
        "race_ethnicity": "group E",
        "parental_level_of_education": "master's degree",
        "lunch": "free/reduced",
        "test_preparation_course": "completed",
        "reading_score": 100,
        "writing_score": 0,
    }
    assert row_errors(good, require_target=False) == {}
    assert PredictionInputSerializer(data=good).is_valid()
    bad = {**good, "reading_score": 101}
    assert "reading_score" in row_errors(bad, require_target=False)
    assert not PredictionInputSerializer(data=bad).is_valid()


def test_the_prediction_model_stores_every_feature():
    """Prediction has a column for each schema feature."""
    columns = {f.name for f in Prediction._meta.get_fields()}
    assert set(schema.FEATURE_NAMES) <= columns
