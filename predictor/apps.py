from django.apps import AppConfig


class PredictorConfig(AppConfig):
    """The studentperf app. Nothing is loaded in ``ready()``: models load lazily."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "predictor"
    verbose_name = "Predictor"
