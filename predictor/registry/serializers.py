"""The model registry's output serializers, explicit fields."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ml import schema
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


class HoldoutIntervalSerializer(serializers.Serializer):
    interval_coverage = serializers.FloatField(help_text="fraction of held-out rows inside")
    interval_width = serializers.FloatField(help_text="mean width after clipping, points")


class HoldoutByMethodSerializer(serializers.Serializer):
    """Held-out coverage and width of both kinds of interval, whichever is served."""

    marginal = HoldoutIntervalSerializer()
    mondrian = HoldoutIntervalSerializer()
    conditional = HoldoutIntervalSerializer(required=False, help_text="absent for older versions")


class MondrianGroupSerializer(serializers.Serializer):
    group = serializers.CharField()
    count = serializers.IntegerField(help_text="calibration rows in the group")
    half_width = serializers.FloatField(help_text="points")
    fallback = serializers.BooleanField(help_text="true: too few rows, the marginal one is used")


class MondrianCalibrationSerializer(serializers.Serializer):
    """Per-group half-widths of the group-conditional ("Mondrian") intervals."""

    level = serializers.FloatField()
    marginal_half_width = serializers.FloatField(
        help_text="points; used for a group with too few calibration rows"
    )
    min_group_size = serializers.IntegerField(
        help_text="fewest calibration rows a group needs for a half-width of its own"
    )
    method = serializers.CharField()
    groups = serializers.DictField(
        child=MondrianGroupSerializer(many=True), help_text="{attribute: [group, ...]}"
    )


class ConditionalGroupSerializer(serializers.Serializer):
    group = serializers.CharField()
    count = serializers.IntegerField(help_text="calibration rows in the group")
    pooled = serializers.BooleanField(
        help_text="true: too few rows for an indicator of its own; pooled with the "
        "attribute's largest group"
    )
    floored = serializers.BooleanField(
        help_text="true: too few rows to be narrower than the marginal interval "
        "(reliable_group_size)"
    )


class ConditionalCalibrationSerializer(serializers.Serializer):
    """Group-conditional intervals by quantile regression of the conformity score on group
    indicators (Gibbs, Cherian & Candès 2023; ``ml.conditional``)."""

    method = serializers.CharField()
    level = serializers.FloatField()
    marginal_half_width = serializers.FloatField(help_text="points")
    min_group_size = serializers.IntegerField(
        help_text="fewest calibration rows a group needs for an indicator of its own"
    )
    reliable_group_size = serializers.IntegerField(
        help_text="fewest calibration rows a group needs before its ranges may be narrower "
        "than the marginal one"
    )
    attributes = serializers.ListField(
        child=serializers.CharField(), help_text="features whose groups the 90% holds in"
    )
    groups = serializers.DictField(
        child=ConditionalGroupSerializer(many=True), help_text="{attribute: [group, ...]}"
    )
    half_widths = serializers.DictField(
        child=serializers.FloatField(),
        help_text='points per combination of groups, keyed "female|group C|standard|none" '
        "(attributes in the order of `attributes`)",
    )


class IntervalCalibrationSerializer(serializers.Serializer):
    """How the 90% interval is calibrated (split-conformal on out-of-fold residuals)."""

    method = serializers.CharField(
        help_text="served intervals: conditional (quantile regression on group indicators: "
        "90% within every group at once), mondrian (per group: the largest of the student's "
        "groups' half-widths) or marginal (one half-width for all); older versions: a description"
    )
    level = serializers.FloatField(help_text="nominal coverage")
    half_width = serializers.FloatField(help_text="marginal half-width, points")
    mondrian = MondrianCalibrationSerializer(required=False)
    conditional = ConditionalCalibrationSerializer(required=False)
    holdout = HoldoutByMethodSerializer(required=False)


class EstimateSerializer(serializers.Serializer):
    """A figure with its 95% bootstrap confidence interval (percentile, within the group)."""

    estimate = serializers.FloatField()
    low = serializers.FloatField()
    high = serializers.FloatField()


class FairnessGroupSerializer(serializers.Serializer):
    """One group's held-out figures."""

    group = serializers.CharField(help_text="e.g. female, group C, free/reduced")
    count = serializers.IntegerField(help_text="held-out students in the group")
    mae = EstimateSerializer(help_text="mean absolute error, points")
    bias = EstimateSerializer(help_text="mean of predicted − actual, points (+: over-predicts)")
    coverage = EstimateSerializer(help_text="fraction of real scores inside their interval")


class FairnessOverallSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    mae = serializers.FloatField(help_text="points")
    rmse = serializers.FloatField(help_text="points")
    r2 = serializers.FloatField(allow_null=True)
    bias = serializers.FloatField(help_text="predicted − actual, points")
    coverage = serializers.FloatField()
    width = serializers.FloatField(help_text="mean interval width, points")


class FairnessBlockSerializer(serializers.Serializer):
    """One model's figures: overall and per group of each protected attribute."""

    overall = FairnessOverallSerializer()
    groups = serializers.DictField(
        child=FairnessGroupSerializer(many=True), help_text="{attribute: [group, ...]}"
    )


class FairnessVariantSerializer(FairnessBlockSerializer):
    """The same model refit without one protected attribute, on the same split."""

    features = serializers.ListField(child=serializers.CharField())


class FairnessThresholdsSerializer(serializers.Serializer):
    bias_points = serializers.FloatField(help_text="smallest bias a sentence reports")
    bias_change_points = serializers.FloatField()
    mae_points = serializers.FloatField()
    coverage_floor = serializers.FloatField()
    min_count = serializers.IntegerField()


class FairnessBootstrapSerializer(serializers.Serializer):
    resamples = serializers.IntegerField()
    confidence = serializers.FloatField()
    seed = serializers.IntegerField()
    method = serializers.CharField()


class FairnessReportSerializer(serializers.Serializer):
    """Per-group error, bias and coverage on the held-out rows (``ml.fairness``), for the
    model and for refits without each protected attribute it uses."""

    version = serializers.IntegerField(help_text="report format version")
    level = serializers.FloatField(help_text="nominal interval coverage")
    interval_method = serializers.CharField()
    sign_convention = serializers.CharField()
    protected_attributes = serializers.ListField(child=serializers.CharField())
    features = serializers.ListField(child=serializers.CharField())
    rows = serializers.IntegerField(help_text="held-out rows")
    bootstrap = FairnessBootstrapSerializer()
    thresholds = FairnessThresholdsSerializer()
    model = FairnessBlockSerializer()
    without = serializers.DictField(
        child=FairnessVariantSerializer(), help_text="{dropped attribute: the refit's figures}"
    )
    sentences = serializers.ListField(
        child=serializers.CharField(), help_text="the trade-offs in plain words"
    )


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
    features = serializers.ListField(
        source="features_used",
        child=serializers.ChoiceField(choices=list(schema.FEATURE_NAMES)),
        help_text="the features the model uses (requests still send all seven)",
    )
    fairness = serializers.SerializerMethodField()
    events = ModelVersionEventSerializer(many=True, help_text="status history, newest first")

    class Meta(ModelVersionSerializer.Meta):
        fields = [
            *ModelVersionSerializer.Meta.fields,
            "features",
            "interval_calibration",
            "fairness",
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

    @extend_schema_field(FairnessReportSerializer(allow_null=True))
    def get_fairness(self, obj):
        """The report as stored (null for a version trained before it existed)."""
        if not obj.fairness:
            return None
        return FairnessReportSerializer(obj.fairness).data
