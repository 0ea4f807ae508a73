"""Django's database cache with a ``set`` of one statement, for the API's throttle counts.

DRF's throttles read and write one cache key per client on every request
(``predictor.throttling``). Django's ``DatabaseCache.set`` spends five statements on that
write: it counts the whole table (to cull when it is over ``MAX_ENTRIES``), then in a
transaction selects the key, and updates or inserts it. Here ``set`` is one
``INSERT … ON CONFLICT (cache_key) DO UPDATE`` (an upsert: SQLite ≥ 3.24, PostgreSQL
≥ 9.5), and the table is counted and culled, as Django does, on one ``set`` in
``CULL_EVERY`` of each process instead of on each; ``get`` is one ``SELECT`` on the key
and its expiry. ``get_many``, ``add``, ``touch``, ``incr`` and the table itself
(``manage.py createcachetable``) are Django's.
"""

from __future__ import annotations

import base64
import hashlib
import pickle
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import DatabaseError, connections, router, transaction
from django.utils.timezone import now as tz_now

from studentperf.db import write_transaction


class DatabaseCache(DjangoDatabaseCache):
    """``django.core.cache.backends.db.DatabaseCache`` whose ``set`` is one upsert.

    ``MAX_ENTRIES`` (Django's default 300) is checked on one ``set`` in ``CULL_EVERY``
    per process, so the table may pass it by up to ``CULL_EVERY`` rows per worker before
    expired rows, then a third of the rest (``CULL_FREQUENCY``), are deleted. Set it well
    above the number of keys alive at once: for the throttles, the clients seen within a
    rate's period (studentperf.settings uses 50,000). Like Django's, ``set`` fails
    silently (returns ``False``) on a database error, since a lost cache write must not
    fail the request that made it.
    """

    CULL_EVERY = 100
    # The table's cache_key column holds 255 (createcachetable); Django warns past 250.
    KEY_MAX_CHARS = 250

    def __init__(self, table, params):
        super().__init__(table, params)
        self._sets = 0

    def make_key(self, key, version=None):
        """Django's key, or when it is longer than the ``cache_key`` column its start and
        its SHA-256: on PostgreSQL a longer key failed every write, so a throttle keyed by
        a 400-character client identity never counted (a silent bypass)."""
        made = super().make_key(key, version=version)
        if len(made) <= self.KEY_MAX_CHARS:
            return made
        digest = hashlib.sha256(made.encode()).hexdigest()
        return f"{made[: self.KEY_MAX_CHARS - len(digest) - 8]}#sha256:{digest}"

    def get(self, key, default=None, version=None):
        """One key's value, or ``default`` when it is absent or past its expiry.

        One ``SELECT`` on the key and its expiry. Django's ``get`` goes through
        ``get_many`` and deletes an expired row it finds; here that row stays until the
        next ``set`` of its key overwrites it or a cull deletes it.
        """
        key = self.make_and_validate_key(key, version=version)
        connection = connections[router.db_for_read(self.cache_model_class)]
        now = connection.ops.adapt_datetimefield_value(tz_now())
        sql = (  # The table name is quoted from settings; every value is a parameter.
            f"SELECT value FROM {connection.ops.quote_name(self._table)} "  # noqa: S608
            "WHERE cache_key = %s AND expires >= %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [key, now])
            row = cursor.fetchone()
        if row is None:
            return default
        value = connection.ops.process_clob(row[0])
        return pickle.loads(base64.b64decode(value.encode()))  # noqa: S301

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        timeout = self.get_backend_timeout(timeout)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        if timeout is None:
            expires = datetime.max.replace(microsecond=0)
        else:
            # To the microsecond: Django's set drops the fraction of a second, so that a
            # throttle's count expired up to a second early and a client who timed a burst
            # to the end of a second got through at twice its rate.
            expires = datetime.fromtimestamp(timeout, tz=UTC if settings.USE_TZ else None)
        expires = connection.ops.adapt_datetimefield_value(expires)
        # A text column (Django's, refs #19274): the pickle as base64.
        encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
        quote_name = connection.ops.quote_name
        sql = (  # The table name is quoted from settings; every value is a parameter.
            f"INSERT INTO {quote_name(self._table)} (cache_key, value, expires) "  # noqa: S608
            "VALUES (%s, %s, %s) ON CONFLICT (cache_key) "
            "DO UPDATE SET value = EXCLUDED.value, expires = EXCLUDED.expires"
        )
        try:
            with write_transaction(db), connection.cursor() as cursor:
                cursor.execute(sql, [key, encoded, expires])
        except DatabaseError:
            return False
        self._sets += 1
        if self._sets % self.CULL_EVERY == 0:
            self._cull_when_full(db)
        return True

    def _cull_when_full(self, db: str) -> None:
        connection = connections[db]
        table = connection.ops.quote_name(self._table)
        try:
            # Several statements: one transaction, as Django's cull has.
            with transaction.atomic(using=db), connection.cursor() as cursor:
                cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
                count = cursor.fetchone()[0]
                if count > self._max_entries:
                    self._cull(db, cursor, tz_now(), count)
        except DatabaseError:
            pass
