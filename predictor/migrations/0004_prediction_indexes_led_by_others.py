"""Drop the four single-column indexes of Prediction that another index leads.

created_at leads prediction_volume_idx, model_version and owner lead the two composite
indexes on them, and batch_id leads the one_prediction_per_batch_row constraint's index,
so each served no lookup the other does not, and every stored prediction paid to enter
it. The indexes are dropped by name (Django's names, the same on SQLite and PostgreSQL):
AlterField alone would have SQLite copy the whole table four times.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# Field, column and Django's name for its index.
INDEXES = [
    ("batch_id", "batch_id", "predictor_prediction_batch_id_3e46c917"),
    ("created_at", "created_at", "predictor_prediction_created_at_e15885bb"),
    ("model_version", "model_version_id", "predictor_prediction_model_version_id_f5e12a54"),
    ("owner", "owner_id", "predictor_prediction_owner_id_7aafb4e4"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("predictor", "0003_monitoring"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX "{name}" ON "predictor_prediction" ("{column}")',
                )
                for _, column, name in INDEXES
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="prediction",
                    name="batch_id",
                    field=models.UUIDField(blank=True, null=True),
                ),
                migrations.AlterField(
                    model_name="prediction",
                    name="created_at",
                    field=models.DateTimeField(auto_now_add=True),
                ),
                migrations.AlterField(
                    model_name="prediction",
                    name="model_version",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="predictions",
                        to="predictor.modelversion",
                    ),
                ),
                migrations.AlterField(
                    model_name="prediction",
                    name="owner",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="predictions",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        )
    ]
