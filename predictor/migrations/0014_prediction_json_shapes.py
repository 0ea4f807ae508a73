# errors and warnings read back in their shape (predictor.models.fields.ShapedJSONField).
# The column is the same JSON column as before, so only Django's state changes: an
# AlterField would make SQLite copy the whole predictions table, twice.

import predictor.models.fields
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('predictor', '0013_files_batch_format'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='prediction',
                    name='errors',
                    field=predictor.models.fields.ShapedJSONField(blank=True, default=dict),
                ),
                migrations.AlterField(
                    model_name='prediction',
                    name='warnings',
                    field=predictor.models.fields.ShapedJSONField(
                        blank=True, default=list, shape=list
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
