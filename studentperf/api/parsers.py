"""Request parsers: JSON that refuses what Python's json module would turn into a crash
later, and CSV bodies handed on as bytes."""

from __future__ import annotations

import json
import math

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, JSONParser


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        # 1e400 parses as inf, which no score can be and JSON columns cannot store.
        raise ValueError(f"number {text[:20]} is out of range")
    return value


def _bounded_int(text: str) -> int:
    if len(text) > 30:
        # Python refuses past 4,300 digits with advice about sys.set_int_max_str_digits.
        raise ValueError(f"number {text[:20]}… has {len(text)} digits, too many for any field")
    return int(text)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


class StrictJSONParser(JSONParser):
    """DRF's JSONParser, but numbers must be finite (``1e400``, ``NaN`` and ``Infinity`` are
    refused), a ``\\u`` escape of a lone surrogate is refused, and nesting deeper than
    Python's recursion limit is a ``ParseError`` (400)
    instead of a ``RecursionError`` (500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding) if stream is not None else ""
            # A byte order mark, as some Windows tools write one (CSV uploads accept it too).
            text = text.removeprefix("\ufeff")
            data = json.loads(
                text,
                parse_float=_finite_float,
                parse_int=_bounded_int,
                parse_constant=_refuse_constant,
            )
            if "\\u" in text:
                # A \ud800–\udfff escape outside a pair decodes to a lone surrogate: a
                # str that is not text, which no page, CSV or database driver can encode.
                json.dumps(data, ensure_ascii=False).encode("utf-8")
            return data
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply") from None
        except UnicodeEncodeError:
            raise ParseError(
                "JSON parse error - the body holds a \\u escape of a lone surrogate "
                "(\\ud800 to \\udfff), which is not a character"
            ) from None
        except UnicodeDecodeError:
            raise ParseError(f"JSON parse error - the body is not {encoding} text") from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


class CSVParser(BaseParser):
    """A ``text/csv`` body, handed on as bytes (``ml.data`` decodes and parses it)."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read() if stream is not None else b""
