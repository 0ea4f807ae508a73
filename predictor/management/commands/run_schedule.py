"""``python manage.py run_schedule``: the periodic work, for a host without cron.

django-tasks' database backend has no scheduler of its own, so this loop is the trigger
(compose's ``scheduler`` service, ``make scheduler``); with cron, the same three lines are
``* * * * * manage.py batch_jobs_recover``, ``* * * * * manage.py rollups_build`` and
``0 * * * * manage.py monitor_report --record``. Run one scheduler per deployment (two would
record each report twice and could collide writing the same roll-up; recovery is safe
either way).
"""

from __future__ import annotations

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

RECOVER_EVERY_SECONDS = 60
REPORT_EVERY_SECONDS = 3600


class Command(BaseCommand):
    help = (
        "Every minute, re-enqueue batch jobs whose worker died (batch_jobs_recover) and roll "
        "up the closed hours for the dashboard (rollups_build); every hour, record "
        "monitor_report's alerts for the dashboard (monitor_report --record)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run each task once and exit")

    def handle(self, *args, **options):
        next_report = 0.0
        while True:
            call_command("batch_jobs_recover")
            call_command("rollups_build", verbosity=0)
            if time.monotonic() >= next_report:
                try:
                    call_command("monitor_report", "--record", stdout=self.stdout)
                except CommandError as exc:
                    # Exit status 2 means "alerts found": recorded, and the loop goes on.
                    self.stderr.write(str(exc))
                next_report = time.monotonic() + REPORT_EVERY_SECONDS
            if options["once"]:
                return
            time.sleep(RECOVER_EVERY_SECONDS)
