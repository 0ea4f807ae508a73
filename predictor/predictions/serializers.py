"""The predictions API's serializers: input ones built from ``ml.schema``, output ones
with explicit fields."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ml import schema
from ml.data import SCORE_TEXT
from predictor.models import Prediction
from predictor.predictions.forms import NOT_A_BATCH, NOT_A_DAY, NOT_A_VERSION


class ScoreField(serializers.IntegerField):
    """A whole-number score 0–100. Rejects booleans and non-integral numbers such as 72.5."""

    default_error_messages = {
        "invalid": schema.SCORE_NOT_WHOLE,
        "max_value": schema.SCORE_OUT_OF_RANGE,
        "min_value": schema.SCORE_OUT_OF_RANGE,
    }

    def __init__(self, **kwargs):
        super().__init__(min_value=schema.SCORE_MIN, max_value=schema.SCORE_MAX, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, float):
            if not data.is_integer():
                self.fail("invalid")
            # 1e300 is a whole number, only far out of range: say so (DRF would read
            # str(1e300) == "1e+300" and call it not a number).
            data = int(data)
        if isinstance(data, str) and not SCORE_TEXT.fullmatch(data.strip()):
            self.fail("invalid")
        return super().to_internal_value(data)


class CategoryField(serializers.ChoiceField):
    """A schema category, read as the CSV loader reads it: case and spacing do not matter
    (``"Group B "`` is ``"group B"``)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            # A list or a boolean would otherwise be echoed in Python's spelling.
            raise serializers.ValidationError(schema.text_error(self.choices), code="not_text")
        value = schema.normalize_category(data)
        try:
            return self.choice_strings_to_values[value]
        except KeyError:
            # DRF's own message (error_messages), quoting the value cut short.
            self.fail("invalid_choice", input=schema.shown(value))


def schema_serializer_field(feature: schema.Feature) -> serializers.Field:
    """The DRF field for one schema feature."""
    if feature.is_categorical:
        return CategoryField(
            choices=list(feature.choices),
            help_text=feature.label,
            error_messages={"invalid_choice": schema.choice_error("{input}", feature.choices)},
        )
    return ScoreField(help_text=f"{feature.label}, integer 0–100")


class PredictionInputSerializer(serializers.Serializer):
    """The seven features (snake_case, as in ``ml.schema``) and an optional reference."""

    gender = schema_serializer_field(schema.GENDER)
    race_ethnicity = schema_serializer_field(schema.RACE_ETHNICITY)
    parental_level_of_education = schema_serializer_field(schema.PARENTAL_LEVEL_OF_EDUCATION)
    lunch = schema_serializer_field(schema.LUNCH)
    test_preparation_course = schema_serializer_field(schema.TEST_PREPARATION_COURSE)
    reading_score = schema_serializer_field(schema.READING_SCORE)
    writing_score = schema_serializer_field(schema.WRITING_SCORE)
    reference = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="free text to find the prediction again, e.g. a class or student code",
    )

    def features(self) -> dict:
        return {name: self.validated_data[name] for name in schema.FEATURE_NAMES}


class IntervalSerializer(serializers.Serializer):
    low = serializers.FloatField(help_text="lower bound, points (clipped at 0)")
    high = serializers.FloatField(help_text="upper bound, points (clipped at 100)")
    level = serializers.FloatField(help_text="nominal coverage, e.g. 0.9")


class ContributionsSerializer(serializers.Serializer):
    """Points each feature moved the prediction away from the baseline."""

    gender = serializers.FloatField()
    race_ethnicity = serializers.FloatField()
    parental_level_of_education = serializers.FloatField()
    lunch = serializers.FloatField()
    test_preparation_course = serializers.FloatField()
    reading_score = serializers.FloatField()
    writing_score = serializers.FloatField()


class PredictionSerializer(serializers.ModelSerializer):
    """A stored prediction (output)."""

    interval = serializers.SerializerMethodField()
    contributions = ContributionsSerializer(allow_null=True)
    model_version = serializers.SerializerMethodField()

    class Meta:
        model = Prediction
        fields = [
            "id",
            "created_at",
            "channel",
            "status",
            *schema.FEATURE_NAMES,
            "reference",
            "predicted_math_score",
            "interval",
            "baseline",
            "contributions",
            "model_version",
            "latency_ms",
            "errors",
            "actual_math_score",
            "actual_recorded_at",
        ]
        read_only_fields = fields

    @extend_schema_field(IntervalSerializer(allow_null=True))
    def get_interval(self, obj):
        if obj.interval_low is None:
            return None
        return {"low": obj.interval_low, "high": obj.interval_high, "level": obj.interval_level}

    def get_model_version(self, obj) -> int | None:
        return obj.model_version.version if obj.model_version_id else None


class PredictionFilterSerializer(serializers.Serializer):
    """Query parameters of ``GET /api/v1/predictions/`` (all optional)."""

    date_from = serializers.DateField(
        required=False,
        help_text="first day, YYYY-MM-DD (inclusive, site time zone)",
        error_messages={"invalid": NOT_A_DAY},
    )
    date_to = serializers.DateField(
        required=False,
        help_text="last day, YYYY-MM-DD (inclusive)",
        error_messages={"invalid": NOT_A_DAY},
    )
    model_version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="model version number, e.g. 3",
        error_messages={"invalid": NOT_A_VERSION, "min_value": NOT_A_VERSION},
    )
    status = serializers.ChoiceField(
        choices=Prediction.Status.choices,
        required=False,
        error_messages={"invalid_choice": schema.choice_error("{input}", Prediction.Status.values)},
    )
    reference = serializers.CharField(
        required=False, max_length=200, help_text="part of the reference, any case"
    )
    channel = serializers.ChoiceField(
        choices=Prediction.Channel.choices,
        required=False,
        error_messages={
            "invalid_choice": schema.choice_error("{input}", Prediction.Channel.values)
        },
    )
    batch = serializers.UUIDField(
        required=False, help_text="a batch id", error_messages={"invalid": NOT_A_BATCH}
    )

    def validate(self, attrs):
        date_from, date_to = attrs.get("date_from"), attrs.get("date_to")
        if date_from and date_to and date_to < date_from:
            raise serializers.ValidationError({"date_to": "must not be before date_from"})
        return attrs


class OutcomeInputSerializer(serializers.Serializer):
    """The real math score of a predicted student."""

    actual_math_score = ScoreField(help_text="the score the student really got, integer 0–100")


class OutcomeRowInputSerializer(serializers.Serializer):
    """One real score, naming its prediction by id or by reference."""

    prediction_id = serializers.IntegerField(required=False, min_value=1)
    reference = serializers.CharField(required=False, max_length=200)
    actual_math_score = ScoreField()


class OutcomeRowResultSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="1-based position in the input")
    prediction_id = serializers.IntegerField(allow_null=True)
    reference = serializers.CharField()
    actual_math_score = serializers.IntegerField(allow_null=True)
    result = serializers.ChoiceField(choices=["recorded", "error"])
    message = serializers.CharField()


class OutcomeReportSerializer(serializers.Serializer):
    """What an upload of real scores did, row by row."""

    recorded = serializers.IntegerField()
    errors = serializers.IntegerField()
    rows = OutcomeRowResultSerializer(many=True)


class BatchRowResultSerializer(serializers.Serializer):
    """One row of a batch, scored or not."""

    index = serializers.IntegerField(source="batch_row", help_text="0-based position in the input")
    id = serializers.IntegerField(help_text="the stored prediction's id")
    status = serializers.ChoiceField(choices=Prediction.Status.choices)
    reference = serializers.CharField()
    predicted_math_score = serializers.FloatField(allow_null=True)
    interval_low = serializers.FloatField(allow_null=True)
    interval_high = serializers.FloatField(allow_null=True)
    errors = serializers.DictField(child=serializers.CharField(), help_text="{field: message}")


class BatchSerializer(serializers.Serializer):
    """A scored batch: its counts, why rows were rejected, and every row in input order."""

    batch_id = serializers.UUIDField(source="batch.id")
    created_at = serializers.DateTimeField(source="batch.created_at")
    model_version = serializers.SerializerMethodField()
    rows_total = serializers.IntegerField(source="batch.rows_total")
    rows_scored = serializers.IntegerField(source="batch.rows_scored")
    rows_rejected = serializers.IntegerField(source="batch.rows_rejected")
    rows_failed = serializers.IntegerField(source="batch.rows_failed")
    rejections = serializers.DictField(
        source="batch.rejections",
        child=serializers.IntegerField(),
        help_text="reason → number of rows with it (a row may have several)",
    )
    results = BatchRowResultSerializer(source="predictions", many=True)

    def get_model_version(self, obj) -> int | None:
        batch = obj.batch
        return batch.model_version.version if batch.model_version_id else None
