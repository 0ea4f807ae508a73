"""``python manage.py rollups_build``: (re)build the hourly roll-ups the dashboard reads."""

from __future__ import annotations

from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError

from predictor.models import Prediction
from predictor.monitoring import services


def _moment(name: str, text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"--{name} must be an ISO date or time such as 2026-09-01 or 2026-09-01T08:00, "
            f"got {text!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = (
        "Without options: roll up every closed hour not rolled up yet and every hour a real "
        "score was recorded for since (what run_schedule does every minute). With --since "
        "and/or --until (ISO, UTC unless an offset is given), or --all: recompute every "
        "closed hour of that range, e.g. after writing history with past times."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", help="first moment of the range to recompute")
        parser.add_argument("--until", help="end of the range to recompute (default now)")
        parser.add_argument("--all", action="store_true", help="recompute every hour")

    def handle(self, *args, **options):
        ranged = options["since"] or options["until"] or options["all"]
        if not ranged:
            hours = services.rollups_refresh()
            if options["verbosity"] > 0:
                self.stdout.write(f"rolled up {hours} hour(s)")
            return
        if options["all"] and (options["since"] or options["until"]):
            raise CommandError("give --all or a range (--since/--until), not both")
        first = Prediction.objects.order_by("created_at").values_list("created_at", flat=True)
        since = _moment("since", options["since"]) if options["since"] else first.first()
        until = _moment("until", options["until"]) if options["until"] else datetime.now(UTC)
        if since is None:
            self.stdout.write("no predictions: nothing to roll up")
            return
        if since >= until:
            raise CommandError("--since must be before --until")
        hours = services.rollups_rebuild(since=since, until=until)
        self.stdout.write(f"rolled up {hours} hour(s)")
