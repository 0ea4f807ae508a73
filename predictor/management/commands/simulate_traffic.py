"""``python manage.py simulate_traffic``: write realistic synthetic traffic for the dashboard."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from predictor.errors import ServiceError
from predictor.models import ModelVersion
from predictor.monitoring.services import rollups_rebuild
from predictor.predictions.simulation import traffic_simulate

MAX_DAYS = 36_500  # a century; far more overflows Python's dates


def _check_days(name: str, value: float, *, least: str) -> None:
    """Raise ``CommandError`` unless ``value`` (days) is in range: more than 0 (0 allowed
    when ``least`` starts with "0") and at most ``MAX_DAYS``; NaN is never in range."""
    low_ok = value >= 0 if least.startswith("0") else value > 0
    if not (low_ok and value <= MAX_DAYS):
        raise CommandError(f"--{name} must be {least} and at most {MAX_DAYS:,} days")


class Command(BaseCommand):
    help = (
        "Write simulated prediction attempts (a mix of channels, rejections, an outage, real "
        "scores for part of them, optionally a drifted period at the end) so that "
        "/admin/monitoring/ has something to show. Rows carry a reference starting 'sim:'."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=5000, help="attempts to write")
        parser.add_argument("--days", type=float, default=30.0, help="spread over this many days")
        parser.add_argument(
            "--drift", action="store_true", help="shift the population in the last quarter"
        )
        parser.add_argument(
            "--drift-days", type=float, default=None, help="length of the drifted period"
        )
        parser.add_argument(
            "--outcomes", type=float, default=0.3, help="share of scored rows with a real score"
        )
        parser.add_argument(
            "--ending-days-ago",
            type=float,
            default=0.0,
            help="end the simulated period this many days before now (to build history in phases)",
        )
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--model-version", type=int, default=None, help="version that scores (production)"
        )

    def handle(self, *args, **options):
        if options["rows"] < 1:
            raise CommandError("--rows must be at least 1")
        if not 0 <= options["outcomes"] <= 1:
            raise CommandError("--outcomes must be between 0 and 1")
        _check_days("days", options["days"], least="more than 0")
        if options["drift_days"] is not None:
            _check_days("drift-days", options["drift_days"], least="more than 0")
        _check_days(
            "ending-days-ago",
            options["ending_days_ago"],
            least="0 or more (the period ends by now)",
        )
        model_version = None
        if options["model_version"] is not None:
            model_version = ModelVersion.objects.filter(version=options["model_version"]).first()
            if model_version is None:
                raise CommandError(f"no model version v{options['model_version']}")
        end = timezone.now() - timedelta(days=options["ending_days_ago"])
        try:
            counts = traffic_simulate(
                rows=options["rows"],
                days=options["days"],
                drift=options["drift"],
                drift_days=options["drift_days"],
                outcome_share=options["outcomes"],
                seed=options["seed"],
                end=end,
                model_version=model_version,
            )
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        # The history is written in the past, into hours that may be rolled up already.
        rollups_rebuild(since=end - timedelta(days=options["days"]), until=end)
        self.stdout.write(
            self.style.SUCCESS(
                "Wrote {rows} attempts: {ok} scored, {rejected} rejected, {failed} failed; "
                "{outcomes} real scores; {drifted} from the drifted period.".format(**counts)
            )
        )
