"""The model registry's tables: each trained version, its artifact, its audit trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ml import schema


class ModelVersionQuerySet(models.QuerySet):
    def production(self):
        return self.filter(status=ModelVersion.Status.PRODUCTION)


class ModelVersion(models.Model):
    """One trained model: how it was chosen and how well it scored (its bytes are in
    ``ModelArtifact``, whose sha256 and size are kept here).

    At most one row has status ``production`` (a partial unique constraint).
    ``metrics`` holds ``test_r2``, ``test_mae``, ``test_rmse``, ``cv_r2_mean``,
    ``cv_r2_std``, ``interval_level``, ``interval_half_width``, ``interval_coverage``,
    ``interval_width``.

    Issue 14: ``features`` lists the features the model uses (schema order; empty for a
    version trained before the feature policy, which used all seven); ``fairness`` is the
    ``ml.fairness.fairness_report`` of the held-out rows (empty when none was made);
    ``interval_calibration`` is ``TrainingResult.interval_calibration`` (served method,
    marginal half-width, per-group Mondrian half-widths, held-out coverage of both) plus
    ``half_width``, the marginal one; ``unusual`` summarises the unusual-student profile
    (``ml.unusual.UnusualProfile.as_dict()`` and ``holdout_flagged``).
    """

    class Status(models.TextChoices):
        CANDIDATE = "candidate"
        PRODUCTION = "production"
        ARCHIVED = "archived"

    version = models.PositiveIntegerField(unique=True)
    status = models.CharField(max_length=16, choices=Status, default=Status.CANDIDATE)
    created_at = models.DateTimeField(auto_now_add=True)
    name = models.CharField(max_length=40, help_text="candidate name, e.g. ridge")
    algorithm = models.CharField(max_length=80)
    params = models.JSONField(default=dict)
    leaderboard = models.JSONField(default=list)
    metrics = models.JSONField(default=dict)
    subgroup_errors = models.JSONField(default=dict)
    reference_profile = models.JSONField(default=dict)
    interval_calibration = models.JSONField(default=dict)
    features = models.JSONField(
        default=list, blank=True, help_text="features the model uses; empty: all seven"
    )
    fairness = models.JSONField(
        default=dict, blank=True, help_text="ml.fairness report on the held-out rows"
    )
    unusual = models.JSONField(
        default=dict, blank=True, help_text="summary of the unusual-student profile"
    )
    data_fingerprint = models.CharField(max_length=64)
    data_source = models.CharField(max_length=500, blank=True)
    data_report = models.JSONField(default=dict)
    rows = models.JSONField(default=dict, help_text="row counts: total, train, test")
    seed = models.IntegerField(default=42)
    quick = models.BooleanField(default=False)
    library_versions = models.JSONField(default=dict)
    training_seconds = models.FloatField(default=0)
    artifact_sha256 = models.CharField(max_length=64)
    artifact_bytes = models.PositiveIntegerField(default=0)

    objects = ModelVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="production"),
                name="one_production_model_version",
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version} {self.name} ({self.status})"

    @property
    def features_used(self) -> list[str]:
        """The features the model reads, schema order (all seven for an older version)."""
        return list(self.features) if self.features else list(schema.FEATURE_NAMES)


class ModelArtifact(models.Model):
    """A version's fitted model as bytes (``ml.artifact``) and the hashes of its training
    rows: the megabytes of a version, in a table of their own so that listing, joining
    or auditing versions never reads them. Read by ``registry.serving`` alone."""

    model_version = models.OneToOneField(
        ModelVersion, on_delete=models.CASCADE, primary_key=True, related_name="artifact"
    )
    data = models.BinaryField(help_text="ml.artifact bytes; sha256 in ModelVersion")
    train_row_hashes = models.JSONField(
        default=list, help_text="ml.data.row_hashes of the training rows (promotion gate)"
    )
    holdout = models.JSONField(
        default=list, help_text="the held-out rows with math_score, scored again at pre-flight"
    )

    def __str__(self) -> str:
        return f"artifact of v{self.model_version.version}"


class ModelVersionEvent(models.Model):
    """An audit row for every status change: who, when, from which version to which, why."""

    class Action(models.TextChoices):
        REGISTER = "register"
        PROMOTE = "promote"
        ROLLBACK = "rollback"

    created_at = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=16, choices=Action)
    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="events")
    previous_production = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_label = models.CharField(max_length=150, blank=True, help_text="e.g. train_model")
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} v{self.model_version.version}"
