"""Every prediction attempt with its result, and the uploaded batches they came in."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ml import schema
from predictor.models.fields import ShapedJSONField
from predictor.models.registry import ModelVersion

SCORE_HELP = f"integer {schema.SCORE_MIN}–{schema.SCORE_MAX}"


class OwnedQuerySet(models.QuerySet):
    """Rows that belong to a user (``owner``) or, for anonymous visitors, a session."""

    def visible_to(self, user, session_key: str | None = None):
        """Rows a person may see: staff all, a user theirs, an anonymous visitor their session's."""
        if user is not None and user.is_authenticated:
            return self if user.is_staff else self.filter(owner=user)
        if session_key:
            return self.filter(owner__isnull=True, session_key=session_key)
        return self.none()


class PredictionQuerySet(OwnedQuerySet):
    pass


class Prediction(models.Model):
    """One prediction attempt, scored or not, with everything needed to audit it later.

    Inputs are null when they were missing or invalid (``status`` rejected; the raw
    request is in ``raw_payload`` and the reasons in ``errors`` as ``{field: message}``).
    ``contributions`` maps each feature to points; they sum to
    ``predicted_math_score − baseline``. ``warnings``: sentences shown with the score
    (``[]`` when none), e.g. a category the model never saw.
    """

    class Channel(models.TextChoices):
        FORM = "form"
        API = "api"
        BATCH = "batch"

    class Status(models.TextChoices):
        OK = "ok"
        REJECTED = "rejected"
        FAILED = "failed"

    # created_at, model_version, owner and batch_id have no index of their own: each
    # leads one in Meta (prediction_volume_idx, the two below it, the batch row
    # constraint), which serves the same lookups, and every prediction stored pays for
    # each index it is entered in (on SQLite, a page written per index).
    # A default, not auto_now_add: simulate_traffic stores history with past times.
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    channel = models.CharField(max_length=8, choices=Channel)
    status = models.CharField(max_length=10, choices=Status)
    gender = models.CharField(max_length=16, null=True, blank=True)
    race_ethnicity = models.CharField(max_length=16, null=True, blank=True)
    parental_level_of_education = models.CharField(max_length=32, null=True, blank=True)
    lunch = models.CharField(max_length=16, null=True, blank=True)
    test_preparation_course = models.CharField(max_length=16, null=True, blank=True)
    reading_score = models.PositiveSmallIntegerField(null=True, blank=True, help_text=SCORE_HELP)
    writing_score = models.PositiveSmallIntegerField(null=True, blank=True, help_text=SCORE_HELP)
    raw_payload = models.JSONField(null=True, blank=True)
    errors = ShapedJSONField(default=dict, blank=True)
    predicted_math_score = models.FloatField(null=True, blank=True)
    interval_low = models.FloatField(null=True, blank=True)
    interval_high = models.FloatField(null=True, blank=True)
    interval_level = models.FloatField(null=True, blank=True)
    baseline = models.FloatField(null=True, blank=True)
    contributions = models.JSONField(null=True, blank=True)
    # What a reader of the score must know, e.g. a category the model never saw (list of
    # sentences, ml.predict.PredictionBatch.warnings).
    warnings = ShapedJSONField(default=list, blank=True, shape=list)
    # A student unlike the model's training rows (ml.unusual); the reason is in words.
    unusual = models.BooleanField(default=False)
    unusual_reason = models.TextField(blank=True)
    model_version = models.ForeignKey(
        ModelVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="predictions",
        db_index=False,
    )
    latency_ms = models.FloatField(null=True, blank=True, help_text="scoring time, milliseconds")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="predictions",
        db_index=False,
    )
    session_key = models.CharField(max_length=40, blank=True, db_index=True)
    reference = models.CharField(max_length=200, blank=True, db_index=True)
    batch_id = models.UUIDField(null=True, blank=True)
    batch_row = models.PositiveIntegerField(null=True, blank=True)
    actual_math_score = models.PositiveSmallIntegerField(null=True, blank=True)
    actual_recorded_at = models.DateTimeField(null=True, blank=True)

    objects = PredictionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"]),
            models.Index(fields=["model_version", "created_at"]),
            # The dashboard reads hourly roll-ups (HourlyRollup), built a closed hour at a
            # time by created_at range; the per-feature and latency indexes it once read
            # are gone (every prediction stored paid for each). The accuracy index serves
            # the models list's all-time live figures (registry.selectors).
            models.Index(fields=["created_at", "status", "channel"], name="prediction_volume_idx"),
            models.Index(
                fields=[
                    "status",
                    "model_version",
                    "created_at",
                    "predicted_math_score",
                    "actual_math_score",
                    "interval_low",
                    "interval_high",
                ],
                name="prediction_accuracy_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(reading_score__isnull=True) | Q(reading_score__lte=100),
                name="reading_score_at_most_100",
            ),
            models.CheckConstraint(
                condition=Q(writing_score__isnull=True) | Q(writing_score__lte=100),
                name="writing_score_at_most_100",
            ),
            models.CheckConstraint(
                condition=Q(actual_math_score__isnull=True) | Q(actual_math_score__lte=100),
                name="actual_math_score_at_most_100",
            ),
            models.CheckConstraint(
                condition=~Q(status="ok") | Q(predicted_math_score__isnull=False),
                name="ok_prediction_has_score",
            ),
            models.UniqueConstraint(
                fields=["batch_id", "batch_row"],
                condition=Q(batch_id__isnull=False),
                name="one_prediction_per_batch_row",
            ),
        ]

    def __str__(self) -> str:
        return f"prediction {self.pk} ({self.status})"

    @property
    def clean_contributions(self) -> dict[str, float] | None:
        """``contributions`` as ``{feature: points}`` for the seven features, or ``None``
        when absent or not of that shape (a row damaged outside the app must not break
        the pages and answers that show it)."""
        stored = self.contributions
        if not isinstance(stored, dict):
            return None
        try:
            return {name: float(stored.get(name, 0.0)) for name in schema.FEATURE_NAMES}
        except (TypeError, ValueError):
            return None

    @property
    def features(self) -> dict:
        return {name: getattr(self, name) for name in schema.FEATURE_NAMES}


class Batch(models.Model):
    """One uploaded batch of students; its rows are the predictions with this ``batch_id``.

    Holds what the rows cannot: the input's column headers in their order (so the scored
    download repeats the file as sent) and the counts shown on its page. ``rejections``
    maps a reason such as ``"reading_score out of 0–100"`` to the number of rows with it.
    ``file_format``, ``delimiter`` and ``byte_order_mark`` say how the upload was written,
    so that its scored download is written the same way (European Excel reads a
    semicolon file with a BOM in columns, and a workbook comes back as a workbook).
    """

    class FileFormat(models.TextChoices):
        CSV = "csv", "CSV or tab-separated text"
        XLSX = "xlsx", "Excel workbook"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    source_name = models.CharField(max_length=200, blank=True, help_text="uploaded file name")
    columns = models.JSONField(default=list, help_text="the input's headers, in order")
    file_format = models.CharField(max_length=4, choices=FileFormat, default=FileFormat.CSV)
    delimiter = models.CharField(
        max_length=1, default=",", blank=True, help_text="of a text upload: , ; or a tab"
    )
    byte_order_mark = models.BooleanField(default=False, help_text="the text upload began with one")
    rows_total = models.PositiveIntegerField(default=0)
    rows_scored = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    rows_failed = models.PositiveIntegerField(default=0)
    rejections = models.JSONField(default=dict, blank=True)
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="batches"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="batches",
    )
    session_key = models.CharField(max_length=40, blank=True, db_index=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "batches"

    def __str__(self) -> str:
        return f"batch {self.pk} ({self.rows_total} rows)"


class BatchJob(models.Model):
    """A large upload scored in the background by a worker (a django-tasks task).

    The queue itself is django-tasks' (``django_tasks_db.DBTaskResult``, ``task_id``);
    this row holds what the queue cannot: the job's owner, progress (``rows_done`` of
    ``rows_total``, committed with each chunk's rows), ``heartbeat_at`` (renewed with
    every chunk; a running job whose heartbeat is older than ``BATCH_JOB_STALE_SECONDS``
    has lost its worker) and ``attempt`` (raised each time the job is enqueued again, so
    that a worker presumed dead that wakes up stops at its next chunk). Its rows go to
    the ``Batch`` whose id is ``batch_id``, created by the worker.
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    class Kind(models.TextChoices):
        CSV = "csv"
        JSON = "json"
        XLSX = "xlsx"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status, default=Status.QUEUED)
    kind = models.CharField(max_length=4, choices=Kind, default=Kind.CSV)
    source_name = models.CharField(max_length=200, blank=True, help_text="uploaded file name")
    sheet_name = models.CharField(
        max_length=100, blank=True, help_text="of a workbook: the sheet to read (blank: the first)"
    )
    size_bytes = models.PositiveBigIntegerField(default=0)
    rows_total = models.PositiveIntegerField(
        default=0, help_text="the upload's non-blank lines at first, its rows once parsed"
    )
    rows_done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, help_text="why the job failed")
    attempt = models.PositiveIntegerField(default=1)
    task_id = models.CharField(max_length=64, blank=True, help_text="django-tasks result id")
    batch_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="batch_jobs",
    )
    session_key = models.CharField(max_length=40, blank=True, db_index=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "heartbeat_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(rows_done__lte=models.F("rows_total")),
                name="batch_job_done_at_most_total",
            )
        ]

    def __str__(self) -> str:
        return f"batch job {self.pk} ({self.status}, {self.rows_done}/{self.rows_total})"


class BatchJobUpload(models.Model):
    """One piece (up to 1 MiB) of a job's uploaded file, in order of ``index``.

    In the database because it is the one store every web and worker host shares (no
    shared volume needed); deleted when the job finishes."""

    job = models.ForeignKey(BatchJob, on_delete=models.CASCADE, related_name="upload_parts")
    index = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        ordering = ["job", "index"]
        constraints = [
            models.UniqueConstraint(fields=["job", "index"], name="one_upload_part_per_index")
        ]

    def __str__(self) -> str:
        return f"part {self.index} of {self.job_id}"
