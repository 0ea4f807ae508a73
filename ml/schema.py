"""The feature schema: the single source for forms, serializers, CSV loading and the admin.

Category values are those of the public "Students Performance in Exams" data set
(Kaggle, 1,000 rows). Scores are integers from 0 to 100.

One validator per feature kind (``clean_score``, ``clean_category``, and
``clean_prediction_id`` for the rows of real scores) gives the verdict on every channel:
the HTML forms, the API serializers, the CSV/JSON row loader and the outcome inputs call
it and only it, so a value is accepted (as the same clean value) or refused (with the same
words, ``InvalidValue``) wherever it arrives.
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass

SCORE_MIN = 0
SCORE_MAX = 100


@dataclass(frozen=True)
class Feature:
    """One input feature.

    ``choices`` is a tuple of allowed values for a categorical feature and
    ``None`` for a numeric score (an integer from ``SCORE_MIN`` to ``SCORE_MAX``).
    """

    name: str
    label: str
    choices: tuple[str, ...] | None = None
    help_text: str = ""

    @property
    def is_categorical(self) -> bool:
        return self.choices is not None


GENDER = Feature("gender", "Gender", ("female", "male"))
RACE_ETHNICITY = Feature(
    "race_ethnicity",
    "Race/ethnicity group",
    ("group A", "group B", "group C", "group D", "group E"),
    help_text=(
        "Groups A to E are the anonymised labels of the data set the model learnt from; "
        "they stand for no named group outside it."
    ),
)
PARENTAL_LEVEL_OF_EDUCATION = Feature(
    "parental_level_of_education",
    "Parental level of education",
    (
        "some high school",
        "high school",
        "some college",
        "associate's degree",
        "bachelor's degree",
        "master's degree",
    ),
)
LUNCH = Feature("lunch", "Lunch", ("standard", "free/reduced"))
TEST_PREPARATION_COURSE = Feature(
    "test_preparation_course", "Test preparation course", ("none", "completed")
)
READING_SCORE = Feature("reading_score", "Reading score", help_text="0 to 100")

WRITING_SCORE = Feature("writing_score", "Writing score", help_text="0 to 100")

FEATURES: tuple[Feature, ...] = (
    GENDER,
    RACE_ETHNICITY,
    PARENTAL_LEVEL_OF_EDUCATION,
    LUNCH,
    TEST_PREPARATION_COURSE,
    READING_SCORE,
    WRITING_SCORE,
)
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
CATEGORICAL_FEATURES: tuple[str, ...] = tuple(f.name for f in FEATURES if f.is_categorical)
NUMERIC_FEATURES: tuple[str, ...] = tuple(f.name for f in FEATURES if not f.is_categorical)
FEATURES_BY_NAME: dict[str, Feature] = {f.name: f for f in FEATURES}

TARGET = "math_score"
TARGET_LABEL = "Math score"
SCORE_COLUMNS: tuple[str, ...] = (*NUMERIC_FEATURES, TARGET)

# Extra spellings seen in the wild, after normalisation by ``normalize_header``.
# Kaggle's original headers ("race/ethnicity", "parental level of education",
# "math score", ...) normalise to our names except race/ethnicity.
_ALIASES: dict[str, str] = {
    "race": "race_ethnicity",
    "ethnicity": "race_ethnicity",  # the tutorial's form field name
    "race_or_ethnicity": "race_ethnicity",
    "parental_education": "parental_level_of_education",
    "test_preparation": "test_preparation_course",
    "test_prep": "test_preparation_course",
    "math": "math_score",
    "reading": "reading_score",
    "writing": "writing_score",
    "sex": "gender",
}


def normalize_header(header: str) -> str:
    """Map a column header to its canonical snake_case name.

    Case, surrounding spaces, a byte-order mark and any run of spaces, slashes,
    hyphens, dots or underscores do not matter: ``"Race/Ethnicity"``,
    ``"race ethnicity"`` and ``"RACE_ETHNICITY"`` all give ``"race_ethnicity"``.
    Unknown headers come back normalised but otherwise unchanged.
    """
    key = re.sub(r"[\s/\-._]+", "_", header.replace("\ufeff", "").strip().lower()).strip("_")
    return _ALIASES.get(key, key)


def normalize_category(value: object) -> str:
    """Canonical spelling of a category value: trimmed, inner spaces collapsed, lower case,
    apostrophes straight (curly, modifier-letter, acute, backtick), except the
    race/ethnicity groups, which keep the data set's ``"group A"`` form."""
    text = re.sub(r"\s+", " ", str(value).strip())
    lowered = text.lower()
    match = re.fullmatch(r"group ([a-e])", lowered)
    if match:
        return f"group {match.group(1).upper()}"
    # Word processors and phones type "bachelor’s degree" with a curly (or modifier-letter)
    # apostrophe; the data set's spelling has the straight one.
    return re.sub("[\u2018\u2019\u02bc\u00b4`]", "'", lowered)


def category_label(value: str) -> str:
    """How a category reads on a page: ``"group A"`` → ``"Group A"``, ``"none"`` → ``"None"``."""
    return value[:1].upper() + value[1:]


SHOWN_MAX_CHARS = 40


def shown(value: str) -> str:
    """``value`` as an error message quotes it: whole up to ``SHOWN_MAX_CHARS`` characters,
    else its start and its length (``"xxxx… (3,000,000 characters)"``), so that a refused
    megabyte is not echoed back and stored with the attempt's errors."""
    if len(value) <= SHOWN_MAX_CHARS:
        return value
    return f"{value[:SHOWN_MAX_CHARS]}… ({len(value):,} characters)"


def choice_error(value: str, choices) -> str:
    """The rule a category value breaks, worded alike by the API, the form, batch rows and
    filters: ``'"x" is not one of: female, male'``. ``value`` may be a placeholder that
    DRF (``"{input}"``) or Django (``"%(value)s"``) fills in."""
    return f'"{value}" is not one of: {", ".join(choices)}'


def text_error(choices) -> str:
    """The rule a category given as a JSON true, number or list breaks."""
    return f"must be text: one of {', '.join(choices)}"


# The rules a score breaks, worded alike on every channel.
SCORE_NOT_WHOLE = "must be a whole number"
SCORE_OUT_OF_RANGE = f"must be between {SCORE_MIN} and {SCORE_MAX}"


# The filters' rules (history page and API), worded alike on both.
NOT_A_DAY = "must be a day of the calendar as YYYY-MM-DD, e.g. 2026-03-01"
NOT_A_VERSION = "must be a model version number: a whole number from 1"
NOT_A_BATCH = "must be a batch id, e.g. 1b4e28ba-2fa1-11d2-883f-0016d3cca427"

# The rules an empty value and a prediction id break.
EMPTY = "is empty"
ID_NOT_VALID = "must be a whole number above 0"


class InvalidValue(ValueError):
    """A value that breaks one of the schema's rules.

    ``str(exc)`` is the rule in the project's words (``SCORE_NOT_WHOLE``, ``EMPTY``, ...)
    and ``code`` names it for Django's and DRF's errors: ``"empty"``, ``"invalid"``,
    ``"out_of_range"``, ``"not_text"`` or ``"invalid_choice"``.
    """

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


# A whole number as people type it: ASCII digits, an optional sign and an optional ".0"
# tail. Python's int() and float() also read "1_0", "７２", "٣", "1e2" and " 0x10"-like
# spellings; none is how a person writes a score, and "1_0" read as 10 scores the wrong
# student.
_WHOLE_TEXT = re.compile(r"([+-]?)([0-9]+)(?:\.0*)?")
# A number written with a decimal comma, as European spreadsheets write "72,0".
_DECIMAL_COMMA = re.compile(r"[+-]?[0-9]+,[0-9]+")
# A prediction id as a spreadsheet or a JSON number writes it: "10095" or "10095.0".
_ID_TEXT = re.compile(r"([0-9]+)(?:\.0*)?")
ID_MAX = 10**18 - 1  # 18 digits: inside every database's 64-bit integer


def is_blank(value: object) -> bool:
    """Whether ``value`` is a missing value: ``None``, text of spaces only, or a float NaN
    (how pandas writes an empty cell)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, float) and math.isnan(value)


def _whole_number(value: object) -> int | None:
    """``value`` as an ``int`` when it is a whole number as ``clean_score`` reads one, else
    ``None``. A digit string too long to be a score comes back as ``SCORE_MAX + 1`` rather
    than being converted, so that "9" * 5000 costs nothing."""
    if isinstance(value, bool):
        return None  # True == 1 in Python; a JSON true is no score
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        # 1e300 is whole, only far out of range: the caller says so.
        return int(number) if math.isfinite(number) and number.is_integer() else None
    if not isinstance(value, str):
        return None
    match = _WHOLE_TEXT.fullmatch(value.strip())
    if match is None:
        return None
    sign, digits = match.groups()
    digits = digits.lstrip("0") or "0"
    if len(digits) > len(str(SCORE_MAX)):
        return SCORE_MAX + 1 if sign != "-" else SCORE_MIN - 1
    return int(sign + digits)


def clean_score(value: object) -> int:
    """A score (reading, writing or math) as an ``int`` from 0 to 100.

    Accepted: an int; a float that is whole (``72.0``); text of ASCII digits with an
    optional sign and ``.0`` tail, spaces around ignored (``" 72 "``, ``"+7"``,
    ``"72.0"``). Raises ``InvalidValue``: ``EMPTY`` for a blank value (``is_blank``);
    ``SCORE_NOT_WHOLE`` for a boolean, a fraction (``72.5``), NaN or infinity, and any
    other text (``"1_0"``, ``"７２"``, ``"٣"``, ``"1e2"``, ``"0x10"``) or type, and for a
    decimal comma (``"72,0"``) that message naming the comma and the whole number;
    ``SCORE_OUT_OF_RANGE`` for a whole number outside 0–100 (``-1``, ``101``, ``1e300``).
    """
    if is_blank(value):
        raise InvalidValue(EMPTY, "empty")
    number = _whole_number(value)
    if number is None:
        if isinstance(value, str) and _DECIMAL_COMMA.fullmatch(value.strip()):
            whole = value.strip().split(",")[0]
            raise InvalidValue(
                f'{SCORE_NOT_WHOLE}: "{value.strip()}" has a decimal comma; write {whole}',
                "invalid",
            )
        raise InvalidValue(SCORE_NOT_WHOLE, "invalid")
    if not SCORE_MIN <= number <= SCORE_MAX:
        raise InvalidValue(SCORE_OUT_OF_RANGE, "out_of_range")
    return number


def clean_category(feature: Feature, value: object) -> str:
    """The canonical spelling of one of ``feature``'s categories (``normalize_category``:
    ``"GROUP  b "`` is ``"group B"``).

    Raises ``InvalidValue``: ``EMPTY`` for a blank value; ``text_error`` for anything but
    text (a JSON true, a number, a list); ``choice_error`` quoting the value as sent
    (cut short by ``shown``) when it is not one of the choices.
    """
    if is_blank(value):
        raise InvalidValue(EMPTY, "empty")
    if not isinstance(value, str):
        raise InvalidValue(text_error(feature.choices), "not_text")
    canonical = normalize_category(value)
    if canonical not in feature.choices:
        raise InvalidValue(choice_error(shown(value), feature.choices), "invalid_choice")
    return canonical


def clean_feature(name: str, value: object) -> int | str:
    """``value`` of the feature (or the target) called ``name``, cleaned by
    ``clean_category`` for a category and ``clean_score`` otherwise; raises their
    ``InvalidValue``."""
    feature = FEATURES_BY_NAME.get(name)
    if feature is not None and feature.is_categorical:
        return clean_category(feature, value)
    return clean_score(value)


def clean_prediction_id(value: object) -> int:
    """A stored prediction's id, as a file of real scores or a JSON body gives it.

    Accepted: an int, a whole float (``10095.0``, a spreadsheet's spelling) or ASCII
    digits with an optional ``.0`` tail, from 1 to ``ID_MAX``. Raises ``InvalidValue``:
    ``EMPTY`` for a blank value, ``ID_NOT_VALID`` for anything else (a boolean, 0, a
    sign, ``"1_0"``, ``"７"``, ``3.5``).
    """
    if is_blank(value):
        raise InvalidValue(EMPTY, "empty")
    number = None
    if isinstance(value, str):
        match = _ID_TEXT.fullmatch(value.strip())
        digits = match.group(1).lstrip("0") if match else ""
        if match and len(digits) <= len(str(ID_MAX)):
            number = int(digits or "0")
    else:
        number = _whole_number(value)
    if number is None or not 1 <= number <= ID_MAX:
        raise InvalidValue(ID_NOT_VALID, "invalid")
    return number
