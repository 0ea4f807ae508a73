import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    """created_at from a Python default instead of auto_now_add: neither is a database
    default, so only Django's state changes and no table is rebuilt."""

    dependencies = [
        ("predictor", "0004_prediction_indexes_led_by_others"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="prediction",
                    name="created_at",
                    field=models.DateTimeField(default=django.utils.timezone.now, editable=False),
                ),
            ],
        ),
    ]
