import django.db.models.deletion
from django.db import migrations, models


def artifacts_to_their_table(apps, schema_editor):
    """One ModelArtifact per version, holding the bytes and row hashes it had."""
    ModelVersion = apps.get_model("predictor", "ModelVersion")
    ModelArtifact = apps.get_model("predictor", "ModelArtifact")
    for pk in ModelVersion.objects.values_list("pk", flat=True):
        row = ModelVersion.objects.values("artifact_data", "train_row_hashes").get(pk=pk)
        ModelArtifact.objects.create(
            model_version_id=pk,
            data=row["artifact_data"],
            train_row_hashes=row["train_row_hashes"],
        )


def artifacts_back_to_versions(apps, schema_editor):
    ModelVersion = apps.get_model("predictor", "ModelVersion")
    ModelArtifact = apps.get_model("predictor", "ModelArtifact")
    for stored in ModelArtifact.objects.iterator(chunk_size=1):
        ModelVersion.objects.filter(pk=stored.model_version_id).update(
            artifact_data=stored.data, train_row_hashes=stored.train_row_hashes
        )


class Migration(migrations.Migration):
    dependencies = [
        ("predictor", "0006_cache_table"),
    ]

    operations = [
        # Renamed first, so that the old column and the new reverse accessor "artifact"
        # never share a name while the rows are copied.
        migrations.RenameField("modelversion", "artifact", "artifact_data"),
        migrations.CreateModel(
            name="ModelArtifact",
            fields=[
                (
                    "model_version",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="artifact",
                        serialize=False,
                        to="predictor.modelversion",
                    ),
                ),
                (
                    "data",
                    models.BinaryField(help_text="ml.artifact bytes; sha256 in ModelVersion"),
                ),
                (
                    "train_row_hashes",
                    models.JSONField(
                        default=list,
                        help_text="ml.data.row_hashes of the training rows (promotion gate)",
                    ),
                ),
            ],
        ),
        migrations.RunPython(artifacts_to_their_table, artifacts_back_to_versions),
        # A default first, so that undoing the removal can add the column back to rows.
        migrations.AlterField(
            model_name="modelversion", name="artifact_data", field=models.BinaryField(default=b"")
        ),
        migrations.RemoveField(model_name="modelversion", name="artifact_data"),
        migrations.RemoveField(model_name="modelversion", name="train_row_hashes"),
    ]
