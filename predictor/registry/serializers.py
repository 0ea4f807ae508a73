"""The model registry's output serializers, explicit fields."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from predictor.models import ModelVersion, ModelVersionEvent


class LiveMetricsSerializer(serializers.Serializer):
    """How a version did in production, on predictions whose real score was recorded."""

    served = serializers.IntegerField(help_text="predictions this version scored")
    n = serializers.IntegerField(help_text="of those, how many have a recorded real score")
    mae = serializers.FloatField(allow_null=True, help_text="live mean absolute error, points")
    rmse = serializers.FloatField(allow_null=True, help_text="live RMSE, points")
    r2 = serializers.FloatField(allow_null=True, help_text="live R² (null below 2 outcomes)")
    coverage = serializers.FloatField(
        allow_null=True, help_text="fraction of real scores inside their 90% interval"
    )


class ModelMetricsSerializer(serializers.Serializer):
    """Scores of a model version. ``test_*`` and ``interval_*`` are measured once on the
    held-out split, which no choice and no calibration saw."""

    test_r2 = serializers.FloatField(help_text="R² on the held-out split")
    test_mae = serializers.FloatField(help_text="mean absolute error on the held-out split, points")
    test_rmse = serializers.FloatField(help_text="root mean squared error, held-out split, points")
    cv_r2_mean = serializers.FloatField(help_text="cross-validated R² on the training split, mean")
    cv_r2_std = serializers.FloatField(help_text="cross-validated R², standard deviation")
    interval_level = serializers.FloatField(help_text="nominal coverage of the interval, e.g. 0.9")
    interval_half_width = serializers.FloatField(
        help_text="split-conformal half-width, points (before clipping to 0–100)"
    )
    interval_coverage = serializers.FloatField(
        help_text="fraction of held-out students whose real score fell inside their interval"
    )
    interval_width = serializers.FloatField(
        help_text="mean width of the held-out intervals after clipping, points"
    )
    live = LiveMetricsSerializer(
        required=False, help_text="live figures from recorded real scores, all time"
    )


class IntervalCalibrationSerializer(serializers.Serializer):
    method = serializers.CharField(help_text="how the interval was calibrated")
    level = serializers.FloatField(help_text="nominal coverage")
    half_width = serializers.FloatField(help_text="points either side of the prediction")


class RowCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="clean rows trained on")
    train = serializers.IntegerField(help_text="rows for the search and the fit")
    test = serializers.IntegerField(help_text="held-out rows, scored once")


class LeaderboardRowSerializer(serializers.Serializer):
    """One candidate family's best setting in the cross-validated search."""

    name = serializers.CharField(help_text="candidate name, e.g. ridge")
    algorithm = serializers.CharField()
    params = serializers.DictField(help_text="its best hyperparameters")
    cv_r2_mean = serializers.FloatField()
    cv_r2_std = serializers.FloatField()
    cv_mae_mean = serializers.FloatField(help_text="points")
    n_splits = serializers.IntegerField(help_text="CV folds the means are over")
    search_seconds = serializers.FloatField()


class SubgroupRowSerializer(serializers.Serializer):
    """Held-out errors for the students with one value of one feature."""

    value = serializers.CharField(help_text="the feature's value, e.g. free/reduced")
    n = serializers.IntegerField(help_text="held-out students with that value")
    mae = serializers.FloatField(help_text="mean absolute error, points")
    mean_signed_error = serializers.FloatField(
        help_text="mean of predicted − actual, points (positive: overestimates the group)"
    )


class SubgroupGroupsSerializer(serializers.Serializer):
    """Errors per value of each categorical feature."""

    gender = SubgroupRowSerializer(many=True)
    race_ethnicity = SubgroupRowSerializer(many=True)
    parental_level_of_education = SubgroupRowSerializer(many=True)
    lunch = SubgroupRowSerializer(many=True)
    test_preparation_course = SubgroupRowSerializer(many=True)


class LargestGapSerializer(serializers.Serializer):
    """The biggest MAE difference between two groups of one feature (groups of 5+)."""

    feature = serializers.CharField()
    high = serializers.CharField(help_text="the value with the larger MAE")
    low = serializers.CharField(help_text="the value with the smaller MAE")
    mae_gap = serializers.FloatField(help_text="points")


class SubgroupErrorsSerializer(serializers.Serializer):
    groups = SubgroupGroupsSerializer()
    largest_gap = LargestGapSerializer(allow_null=True)


class ModelVersionEventSerializer(serializers.ModelSerializer):
    """One status change of a version: register, promote or rollback."""

    previous_production = serializers.IntegerField(
        source="previous_version",
        allow_null=True,
        help_text="version in production before this change",
    )
    actor = serializers.SerializerMethodField()

    class Meta:
        model = ModelVersionEvent
        fields = ["created_at", "action", "previous_production", "actor", "reason"]
        read_only_fields = fields

    def get_actor(self, obj) -> str:
        """The user's name, else the label of the tool that acted (e.g. train_model)."""
        return getattr(obj, "actor_username", None) or obj.actor_label


class ModelVersionSerializer(serializers.ModelSerializer):
    """A model version, without its artifact bytes."""

    metrics = ModelMetricsSerializer()
    params = serializers.DictField(help_text="hyperparameters of the fitted model")
    leaderboard = LeaderboardRowSerializer(many=True)
    rows = RowCountsSerializer()
    library_versions = serializers.DictField(
        child=serializers.CharField(), help_text="Python and library versions it was trained with"
    )

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

    def to_representation(self, instance):
        """Adds ``metrics.live`` from the ``live`` context (``selectors.live_metrics()``)."""
        data = super().to_representation(instance)
        live = self.context.get("live")
        if live is not None:
            empty = {"served": 0, "n": 0, "mae": None, "rmse": None, "r2": None, "coverage": None}
            data["metrics"]["live"] = live.get(instance.pk, empty)
        return data


class ModelVersionDetailSerializer(ModelVersionSerializer):
    """A model version's card: everything in the list, plus how it was calibrated, what
    it was trained on, its errors by subgroup on the held-out split and its history."""

    subgroup_errors = serializers.SerializerMethodField()
    interval_calibration = IntervalCalibrationSerializer()
    events = ModelVersionEventSerializer(many=True, help_text="status history, newest first")

    class Meta(ModelVersionSerializer.Meta):
        fields = [
            *ModelVersionSerializer.Meta.fields,
            "interval_calibration",
            "subgroup_errors",
            "data_source",
            "seed",
            "quick",
            "events",
        ]
        read_only_fields = fields

    @extend_schema_field(SubgroupErrorsSerializer(allow_null=True))
    def get_subgroup_errors(self, obj):
        if not obj.subgroup_errors:
            return None
        return SubgroupErrorsSerializer(obj.subgroup_errors).data
