"""Model fields of our own: a JSON column that reads back in the shape the code expects."""

from __future__ import annotations

from django.db import models
from django.db.models.fields.json import KeyTransform

UNREADABLE_TEXT_CHARS = 80


class ShapedJSONField(models.JSONField):
    """A ``JSONField`` whose value is always read back as ``shape`` (``dict`` or ``list``;
    or ``None`` where the column is nullable).

    SQLite does not check what a TEXT column holds, so a row edited outside Django (a
    repair gone wrong, a restored backup) can hold text that is not JSON, or JSON of
    another shape. Django's ``JSONField`` then hands back the raw text, and every page,
    export and answer that shows the row fails on it. Here such a value reads as
    ``unreadable(text)``: for a ``dict`` field ``{"stored_value": "not readable: …"}``, for
    a ``list`` field ``["stored value not readable: …"]`` (the text cut to 80 characters),
    so the row is still listed, with what went wrong in its place. Writes are unchanged.
    """

    def __init__(self, *args, shape: type = dict, **kwargs):
        if shape not in (dict, list):
            raise ValueError(f"shape must be dict or list, not {shape!r}")
        self.shape = shape
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.shape is not dict:
            kwargs["shape"] = self.shape
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        loaded = super().from_db_value(value, expression, connection)
        if loaded is None or isinstance(expression, KeyTransform):
            return loaded
        if isinstance(loaded, self.shape):
            return loaded
        return self.unreadable(value)

    def unreadable(self, stored) -> dict | list:
        """What a stored value that is not JSON of this field's shape reads as."""
        text = str(stored)
        if len(text) > UNREADABLE_TEXT_CHARS:
            text = text[:UNREADABLE_TEXT_CHARS] + "…"
        if self.shape is dict:
            return {"stored_value": f"not readable: {text!r}"}
        return [f"stored value not readable: {text!r}"]
