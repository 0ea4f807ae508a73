"""Upgrading a database that has rows in place: the artifact bytes and training-row
hashes move to their own table (0007) and back, the cache table appears (0006)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("predictor", "0004_prediction_indexes_led_by_others")]
AFTER = [("predictor", "0009_prediction_warnings")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_artifacts_move_to_their_own_table_and_back_with_rows_in_place():
    apps = migrate(BEFORE)
    ModelVersion = apps.get_model("predictor", "ModelVersion")
    Prediction = apps.get_model("predictor", "Prediction")
    old = ModelVersion.objects.create(
        version=1,
        status="production",
        name="ridge",
        algorithm="Ridge",
        data_fingerprint="f" * 64,
        artifact=b"bytes of v1",
        artifact_sha256="a" * 64,
        artifact_bytes=11,
        train_row_hashes=["h1", "h2"],
    )
    Prediction.objects.create(
        channel="api", status="ok", predicted_math_score=70.0, model_version=old
    )
    try:
        apps = migrate(AFTER)
        ModelArtifact = apps.get_model("predictor", "ModelArtifact")
        stored = ModelArtifact.objects.get(pk=old.pk)
        assert bytes(stored.data) == b"bytes of v1"
        assert stored.train_row_hashes == ["h1", "h2"]
        moved = apps.get_model("predictor", "ModelVersion").objects.get(pk=old.pk)
        assert moved.status == "production" and moved.artifact_sha256 == "a" * 64
        assert apps.get_model("predictor", "Prediction").objects.get().model_version_id == old.pk
        assert "django_cache" in connection.introspection.table_names()

        apps = migrate(BEFORE)
        back = apps.get_model("predictor", "ModelVersion").objects.get(pk=old.pk)
        assert bytes(back.artifact) == b"bytes of v1"
        assert back.train_row_hashes == ["h1", "h2"]
    finally:
        migrate(executor_leaf_nodes())


def executor_leaf_nodes():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


SESSION_BEFORE = [("predictor", "0011_batch_jobs")]


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_from_0011_keeps_predictions_batches_and_jobs():
    """From the main before roll-ups, workbooks and shaped JSON (0011) to today's, with
    rows in place: predictions keep every value, a batch reads as the CSV it was, a
    queued job keeps its upload, the roll-up table starts empty, and the way back works."""
    apps = migrate(SESSION_BEFORE)
    ModelVersion = apps.get_model("predictor", "ModelVersion")
    Batch = apps.get_model("predictor", "Batch")
    BatchJob = apps.get_model("predictor", "BatchJob")
    Prediction = apps.get_model("predictor", "Prediction")
    version = ModelVersion.objects.create(
        version=1,
        status="production",
        name="ridge",
        algorithm="Ridge",
        data_fingerprint="f" * 64,
        artifact_sha256="a" * 64,
        artifact_bytes=11,
    )
    batch = Batch.objects.create(source_name="class-7B.csv", columns=["gender"])
    job = BatchJob.objects.create(kind="csv", rows_total=3, size_bytes=40)
    Prediction.objects.create(
        channel="batch",
        status="ok",
        predicted_math_score=70.0,
        model_version=version,
        batch_id=batch.pk,
        batch_row=0,
        warnings=["a category the model never saw"],
    )
    Prediction.objects.create(
        channel="api", status="rejected", errors={"reading_score": "must be between 0 and 100"}
    )
    try:
        apps = migrate(executor_leaf_nodes())
        Prediction = apps.get_model("predictor", "Prediction")
        scored = Prediction.objects.get(status="ok")
        assert scored.warnings == ["a category the model never saw"]
        assert scored.model_version_id == version.pk and scored.batch_id == batch.pk
        rejected = Prediction.objects.get(status="rejected")
        assert rejected.errors == {"reading_score": "must be between 0 and 100"}
        upgraded = apps.get_model("predictor", "Batch").objects.get(pk=batch.pk)
        assert (upgraded.file_format, upgraded.delimiter, upgraded.byte_order_mark) == (
            "csv",
            ",",
            False,
        )
        kept_job = apps.get_model("predictor", "BatchJob").objects.get(pk=job.pk)
        assert (kept_job.kind, kept_job.sheet_name, kept_job.rows_total) == ("csv", "", 3)
        assert not apps.get_model("predictor", "HourlyRollup").objects.exists()

        apps = migrate(SESSION_BEFORE)
        assert apps.get_model("predictor", "Prediction").objects.count() == 2
    finally:
        migrate(executor_leaf_nodes())
