"""The feature schema: the single source for forms, serializers, CSV loading and the admin.

Category values are those of the public "Students Performance in Exams" data set
(Kaggle, 1,000 rows). Scores are integers from 0 to 100.
"""

from __future__ import annotations

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
    except the race/ethnicity groups, which keep the data set's ``"group A"`` form."""
    text = re.sub(r"\s+", " ", str(value).strip())
    lowered = text.lower()
    match = re.fullmatch(r"group ([a-e])", lowered)
    if match:
        return f"group {match.group(1).upper()}"
    return lowered.replace("\u2019", "'")


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
