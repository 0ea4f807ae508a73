"""``python manage.py batch_worker``: django-tasks' ``db_worker``, started again when the
database stops it.

django-tasks' worker ignores a locked database while it claims a task, but not while it
opens the claiming transaction: SQLite held by other writers past its busy timeout (or a
PostgreSQL server restarting) ends the worker with ``OperationalError``, and queued jobs
would wait for a person to start another. This runs ``db_worker`` again after
``--restart-delay`` seconds, up to ``--max-restarts`` times in a row (default: an hour of
a database that stays down), then stops with the reason. A stop by SIGTERM or SIGINT ends
it as it ends ``db_worker``: the job in hand is finished first.
"""

from __future__ import annotations

import logging
import signal
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import InterfaceError, OperationalError, connections

logger = logging.getLogger(__name__)

SIGNALS = [s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGQUIT", None)) if s]


class Command(BaseCommand):
    help = "Run django-tasks' db_worker (batch jobs), starting it again when the database fails it."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", action="store_true", help="run what is queued, then exit (db_worker's)"
        )
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds between looks at the queue"
        )
        parser.add_argument(
            "--restart-delay", type=float, default=5.0, help="seconds before a restart"
        )
        parser.add_argument(
            "--max-restarts", type=int, default=720, help="restarts in a row before giving up"
        )

    def handle(self, *args, batch, interval, restart_delay, max_restarts, verbosity, **options):
        if max_restarts < 0 or restart_delay < 0:
            raise CommandError("--max-restarts and --restart-delay must be 0 or more")
        for restart in range(max_restarts + 1):
            # db_worker installs its own signal handlers; a stop that arrives between its
            # runs must stop this process, not be swallowed by a finished worker's.
            defaults = {s: signal.getsignal(s) for s in SIGNALS}
            try:
                call_command(
                    "db_worker",
                    batch=batch,
                    interval=interval,
                    reload=False,
                    startup_delay=restart == 0,
                    verbosity=verbosity,
                )
                return
            except (OperationalError, InterfaceError) as exc:
                error = exc
                logger.warning(
                    "batch worker stopped by the database (%s); restart %d of %d in %.0f s",
                    exc,
                    restart + 1,
                    max_restarts,
                    restart_delay,
                )
            finally:
                for s, handler in defaults.items():
                    signal.signal(s, handler)
            connections.close_all()
            if restart < max_restarts:
                time.sleep(restart_delay)
        raise CommandError(
            f"the database stopped the batch worker {max_restarts + 1} times in a row; "
            f"last: {error}"
        )
