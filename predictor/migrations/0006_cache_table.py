from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

# settings.CACHES' LOCATION for the database cache (the throttle counts without Redis).
CACHE_TABLE = "django_cache"


def create_cache_table(apps, schema_editor):
    """The table Django's database cache needs, so that ``migrate`` alone makes the whole
    schema (``createcachetable`` would have to be run as well). Skipped when it exists."""
    command = CreateCacheTable()
    command.verbosity = 0  # set by the command's handle(), which is not run here
    command.create_table(schema_editor.connection.alias, CACHE_TABLE, dry_run=False)


def drop_cache_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(CACHE_TABLE)}")


class Migration(migrations.Migration):
    dependencies = [
        ("predictor", "0005_prediction_created_at_default"),
    ]

    operations = [migrations.RunPython(create_cache_table, drop_cache_table)]
