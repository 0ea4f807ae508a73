"""API serializers: input ones built from ``ml.schema``, output ones with explicit fields."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ml import schema
from predictor.models import ModelVersion, Prediction


class ScoreField(serializers.IntegerField):
    """A whole-number score 0–100. Rejects booleans and non-integral numbers such as 72.5."""

    default_error_messages = {
        "invalid": "must be a whole number",
        "max_value": f"must be between {schema.SCORE_MIN} and {schema.SCORE_MAX}",
        "min_value": f"must be between {schema.SCORE_MIN} and {schema.SCORE_MAX}",
    }

    def __init__(self, **kwargs):
        super().__init__(min_value=schema.SCORE_MIN, max_value=schema.SCORE_MAX, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, float) and not data.is_integer():
            self.fail("invalid")
        return super().to_internal_value(data)


def schema_serializer_field(feature: schema.Feature) -> serializers.Field:
    """The DRF field for one schema feature."""
    if feature.is_categorical:
        return serializers.ChoiceField(
            choices=list(feature.choices),
            help_text=feature.label,
            error_messages={
                "invalid_choice": f'"{{input}}" is not one of: {", ".join(feature.choices)}'
            },
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


class ModelVersionSerializer(serializers.ModelSerializer):
    """A model version, without its artifact bytes."""

    class Meta:
        model = ModelVersion
        fields = [
            "version",
            "status",
            "name",
            "algorithm",
            "created_at",
            "params",
            "metrics",
            "leaderboard",
            "rows",
            "data_fingerprint",
            "library_versions",
            "training_seconds",
            "artifact_sha256",
        ]
        read_only_fields = fields
