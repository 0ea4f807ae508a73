"""The predictions API's serializers: input ones built from ``ml.schema``, output ones
with explicit fields."""

from __future__ import annotations

from collections.abc import Mapping

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ml import schema
from predictor.models import BatchJob, Prediction


def _refused(exc: schema.InvalidValue) -> serializers.ValidationError:
    return serializers.ValidationError(exc.message, code=exc.code)


class ScoreField(serializers.IntegerField):
    """A 0–100 score; ``schema.clean_score`` gives the verdict, as on every channel (a
    boolean, 72.5, "1_0" and "７２" are refused; 72.0 and " 72 " are 72)."""

    def __init__(self, **kwargs):
        super().__init__(min_value=schema.SCORE_MIN, max_value=schema.SCORE_MAX, **kwargs)
        # min and max stay for the OpenAPI schema; the range is clean_score's rule.
        self.validators = []

    def to_internal_value(self, data):
        try:
            return schema.clean_score(data)
        except schema.InvalidValue as exc:
            raise _refused(exc) from None


class CategoryField(serializers.ChoiceField):
    """One of ``feature``'s categories; ``schema.clean_category`` gives the verdict, as on
    every channel (``"Group B "`` is ``"group B"``; a list or a boolean is not text)."""

    def __init__(self, feature: schema.Feature, **kwargs):
        self.feature = feature
        super().__init__(choices=list(feature.choices), **kwargs)

    def to_internal_value(self, data):
        try:
            return schema.clean_category(self.feature, data)
        except schema.InvalidValue as exc:
            raise _refused(exc) from None


class PredictionIdField(serializers.IntegerField):
    """A stored prediction's id; ``schema.clean_prediction_id`` gives the verdict, as in a
    file of real scores."""

    def __init__(self, **kwargs):
        super().__init__(min_value=1, **kwargs)
        self.validators = []  # min_value stays for the OpenAPI schema

    def to_internal_value(self, data):
        try:
            return schema.clean_prediction_id(data)
        except schema.InvalidValue as exc:
            raise _refused(exc) from None


class TextField(serializers.CharField):
    """Text only: DRF's ``CharField`` turns a JSON number or boolean into text (``7`` →
    ``"7"``), which the schema's ``type: string`` says is refused."""

    default_error_messages = {"invalid": "must be text (a JSON string)"}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def schema_serializer_field(feature: schema.Feature) -> serializers.Field:
    """The DRF field for one schema feature."""
    if feature.is_categorical:
        return CategoryField(feature, help_text=feature.label)
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
    reference = TextField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="free text to find the prediction again, e.g. a class or student code",
    )

    def features(self) -> dict:
        return {name: self.validated_data[name] for name in schema.FEATURE_NAMES}


# As for the answer below: one instance validates every request body through DRF's public
# ``run_validation``, which keeps no state between calls.
_PREDICTION_INPUT = PredictionInputSerializer()


def prediction_input_validate(payload) -> tuple[dict | None, dict | None]:
    """``(validated_data, None)`` for a valid body, ``(None, errors)`` otherwise, ``errors``
    as ``PredictionInputSerializer(data=payload).errors`` gives them (``{field: [message]}``).
    ``validated_data``: the seven features (clean) and ``reference``."""
    if not isinstance(payload, Mapping):
        # DRF's own wording for a body that is not an object ("No data provided", …).
        serializer = PredictionInputSerializer(data=payload)
        serializer.is_valid()
        return None, serializer.errors
    try:
        return _PREDICTION_INPUT.run_validation(payload), None
    except serializers.ValidationError as exc:
        return None, exc.detail


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


class UnusualSerializer(serializers.Serializer):
    """Whether the student is unlike the model's training rows (``ml.unusual``)."""

    flagged = serializers.BooleanField()
    reason = serializers.CharField(help_text='in words; "" when not flagged')


class PredictionSerializer(serializers.Serializer):
    """A stored prediction (output), fields declared one by one (a ``ModelSerializer``
    would rebuild them from the model on every answer). ``contributions`` keeps all seven
    features (0 for one the model does not use); ``features_used`` says which it used."""

    id = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    channel = serializers.ChoiceField(choices=Prediction.Channel.choices, read_only=True)
    status = serializers.ChoiceField(choices=Prediction.Status.choices, read_only=True)
    gender = serializers.CharField(allow_null=True, read_only=True)
    race_ethnicity = serializers.CharField(allow_null=True, read_only=True)
    parental_level_of_education = serializers.CharField(allow_null=True, read_only=True)
    lunch = serializers.CharField(allow_null=True, read_only=True)
    test_preparation_course = serializers.CharField(allow_null=True, read_only=True)
    reading_score = serializers.IntegerField(allow_null=True, read_only=True)
    writing_score = serializers.IntegerField(allow_null=True, read_only=True)
    reference = serializers.CharField(read_only=True)
    predicted_math_score = serializers.FloatField(allow_null=True, read_only=True)
    interval = serializers.SerializerMethodField()
    baseline = serializers.FloatField(allow_null=True, read_only=True)
    contributions = ContributionsSerializer(
        source="clean_contributions", allow_null=True, read_only=True
    )
    warnings = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="what to know about this score, e.g. a category the model never saw "
        "(scored as an average of those it saw, with no points of its own); [] when none",
    )
    features_used = serializers.SerializerMethodField()
    unusual = serializers.SerializerMethodField()
    model_version = serializers.SerializerMethodField()
    latency_ms = serializers.FloatField(
        allow_null=True, read_only=True, help_text="scoring time, milliseconds"
    )
    errors = serializers.JSONField(read_only=True)
    actual_math_score = serializers.IntegerField(allow_null=True, read_only=True)
    actual_recorded_at = serializers.DateTimeField(allow_null=True, read_only=True)

    @extend_schema_field(IntervalSerializer(allow_null=True))
    def get_interval(self, obj):
        if obj.interval_low is None:
            return None
        return {"low": obj.interval_low, "high": obj.interval_high, "level": obj.interval_level}

    def get_model_version(self, obj) -> int | None:
        return obj.model_version.version if obj.model_version_id else None

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(choices=list(schema.FEATURE_NAMES)))
    )
    def get_features_used(self, obj):
        """The scoring version's features (empty when nothing scored the attempt)."""
        return obj.model_version.features_used if obj.model_version_id else []

    @extend_schema_field(UnusualSerializer)
    def get_unusual(self, obj):
        return {"flagged": obj.unusual, "reason": obj.unusual_reason}


# DRF deep-copies a serializer's declared fields for every new instance: ~0.4 ms for these
# 26 fields and the nested contributions, a tenth of an API prediction's time. One instance,
# made at import, answers through DRF's public ``to_representation``, which keeps no state
# between calls (threads may share it). bench/serializers.py measures both ways.
_PREDICTION_OUTPUT = PredictionSerializer()


def prediction_data(prediction: Prediction) -> dict:
    """The API answer for one stored prediction: ``PredictionSerializer``'s fields, as
    ``PredictionSerializer(prediction).data`` gives them."""
    return _PREDICTION_OUTPUT.to_representation(prediction)


class PredictionFilterSerializer(serializers.Serializer):
    """Query parameters of ``GET /api/v1/predictions/`` (all optional)."""

    date_from = serializers.DateField(
        required=False,
        help_text="first day, YYYY-MM-DD (inclusive, site time zone)",
        error_messages={"invalid": schema.NOT_A_DAY},
    )
    date_to = serializers.DateField(
        required=False,
        help_text="last day, YYYY-MM-DD (inclusive)",
        error_messages={"invalid": schema.NOT_A_DAY},
    )
    model_version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="model version number, e.g. 3",
        error_messages={"invalid": schema.NOT_A_VERSION, "min_value": schema.NOT_A_VERSION},
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
        required=False, help_text="a batch id", error_messages={"invalid": schema.NOT_A_BATCH}
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

    prediction_id = PredictionIdField(required=False)
    reference = serializers.CharField(required=False, max_length=200)
    actual_math_score = ScoreField()


class OutcomeRowResultSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="1-based position in the input")
    prediction_id = serializers.IntegerField(allow_null=True)
    reference = serializers.CharField()
    actual_math_score = serializers.IntegerField(allow_null=True)
    result = serializers.ChoiceField(
        choices=["recorded", "skipped", "error"],
        help_text="skipped: the row's score is blank",
    )
    message = serializers.CharField(
        help_text="why not recorded, or which of several predictions a reference matched "
        "was used (the newest)"
    )


class OutcomeReportSerializer(serializers.Serializer):
    """What an upload of real scores did, row by row."""

    recorded = serializers.IntegerField()
    skipped = serializers.IntegerField(help_text="rows whose score is blank")
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
    warnings = serializers.ListField(
        child=serializers.CharField(), help_text="as a single prediction's; [] when none"
    )
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


class BatchJobSerializer(serializers.Serializer):
    """A batch job: status, progress, rate, errors so far and, once done, its batch.

    Takes a ``BatchJob`` from ``selectors.batch_job_get`` (``job.batch`` set, or absent
    for a job just created)."""

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=BatchJob.Status.choices)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    source_name = serializers.CharField()
    rows_total = serializers.IntegerField(
        help_text="the upload's non-blank lines after the header until parsed, then its rows"
    )
    rows_done = serializers.IntegerField(help_text="rows stored so far (scored or not)")
    rows_scored = serializers.SerializerMethodField()
    rows_rejected = serializers.SerializerMethodField()
    rows_failed = serializers.SerializerMethodField()
    rejections = serializers.SerializerMethodField(
        help_text="reason → number of rows with it so far"
    )
    rows_per_second = serializers.SerializerMethodField(
        help_text="rows stored per second since the job started"
    )
    error = serializers.CharField(help_text="why the job failed (empty otherwise)")
    batch_id = serializers.SerializerMethodField(help_text="the batch, once done")
    batch_url = serializers.SerializerMethodField(help_text="the batch's JSON/CSV, once done")
    download_url = serializers.SerializerMethodField(
        help_text="the scored CSV, once done (this API's batch answer as CSV: the same "
        "token or session that made the job reads it)"
    )

    def _batch(self, job):
        return getattr(job, "batch", None)

    def get_rows_scored(self, job) -> int:
        return self._batch(job).rows_scored if self._batch(job) else 0

    def get_rows_rejected(self, job) -> int:
        return self._batch(job).rows_rejected if self._batch(job) else 0

    def get_rows_failed(self, job) -> int:
        return self._batch(job).rows_failed if self._batch(job) else 0

    def get_rejections(self, job) -> dict[str, int]:
        return self._batch(job).rejections if self._batch(job) else {}

    def get_rows_per_second(self, job) -> float | None:
        return job_rate(job)

    def get_batch_id(self, job) -> str | None:
        return str(job.batch_id) if job.status == BatchJob.Status.DONE else None

    def get_batch_url(self, job) -> str | None:
        if job.status != BatchJob.Status.DONE:
            return None
        return reverse("api-batch-detail", kwargs={"batch_id": job.batch_id})

    def get_download_url(self, job) -> str | None:
        if job.status != BatchJob.Status.DONE:
            return None
        return reverse("api-batch-detail", kwargs={"batch_id": job.batch_id}) + "?format=csv"


def job_rate(job) -> float | None:
    """Rows stored per second since the job started (``None`` before its first row)."""
    if not job.started_at or not job.rows_done:
        return None
    until = job.finished_at or job.heartbeat_at
    seconds = (until - job.started_at).total_seconds() if until else 0
    return round(job.rows_done / seconds, 1) if seconds > 0 else None
