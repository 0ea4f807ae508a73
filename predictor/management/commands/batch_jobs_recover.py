"""``python manage.py batch_jobs_recover``: enqueue again the batch jobs whose worker died."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from predictor.predictions import jobs


class Command(BaseCommand):
    help = (
        "Enqueue again every batch job whose worker stopped heartbeating for "
        "BATCH_JOB_STALE_SECONDS (a worker killed mid-job); another worker resumes it at "
        "its last committed chunk. Run at worker start (`make worker`) and every minute "
        "by the scheduler; safe to run on several hosts at once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--stale-seconds",
            type=float,
            default=None,
            help="heartbeat age that means the worker died (default BATCH_JOB_STALE_SECONDS)",
        )

    def handle(self, *args, **options):
        recovered = jobs.batch_jobs_recover(stale_seconds=options["stale_seconds"])
        for job in recovered:
            self.stdout.write(
                f"re-enqueued job {job.pk} (attempt {job.attempt}, {job.rows_done} of "
                f"{job.rows_total} rows done)"
            )
        if not recovered and options["verbosity"] > 1:
            self.stdout.write("no stale job")
