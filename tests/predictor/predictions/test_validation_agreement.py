"""Every entry point gives the same verdict on the same odd input: the prediction form, the
actual-score form, the API serializers, the CSV and JSON batch rows and the rows of real
scores all take it from ``ml.schema``'s validators (issue 13, finding 9)."""

import csv
import io

import pytest

from ml import schema
from ml.data import frame_from_records, validate_outcome_rows, validate_rows
from predictor.predictions.forms import OutcomeForm, PredictionForm
from predictor.predictions.serializers import (
    OutcomeInputSerializer,
    OutcomeRowInputSerializer,
    PredictionInputSerializer,
)
from predictor.predictions.uploads import csv_frame
from tests.factories import STUDENT

REFUSED = "refused"


def csv_bytes(record: dict) -> bytes:
    """A one-row CSV of ``record``, each cell written as text (``None`` as an empty cell)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(record)
    writer.writerow(["" if v is None else v for v in record.values()])
    return out.getvalue().encode()


def writable_in_csv(value) -> bool:
    """A CSV cell is text: only text (or nothing) reaches the loader that way."""
    return value is None or isinstance(value, str)


def form_verdict(form, name):
    if form.is_valid():
        return form.cleaned_data[name]
    return (REFUSED, form.errors[name][0])


def serializer_verdict(serializer, name):
    if serializer.is_valid():
        return serializer.validated_data[name]
    return (REFUSED, str(serializer.errors[name][0]))


def row_verdict(row, name):
    return row.values[name] if row.ok else (REFUSED, row.errors[name])


def outcome_row_verdict(row, name):
    if row.errors:
        return (REFUSED, row.errors[name])
    return row.prediction_id if name == "prediction_id" else row.actual_math_score


def score_verdicts(value) -> dict:
    """What each entry point makes of ``value`` as a score."""
    student = {**STUDENT, "reading_score": value}
    outcome = {"prediction_id": 1, "actual_math_score": value}
    verdicts = {
        "prediction form": form_verdict(PredictionForm(data=student), "reading_score"),
        "outcome form": form_verdict(OutcomeForm(data=outcome), "actual_math_score"),
        "API prediction": serializer_verdict(
            PredictionInputSerializer(data=student), "reading_score"
        ),
        "API outcome": serializer_verdict(
            OutcomeInputSerializer(data=outcome), "actual_math_score"
        ),
        "API outcome row": serializer_verdict(
            OutcomeRowInputSerializer(data=outcome), "actual_math_score"
        ),
        "JSON batch row": row_verdict(
            validate_rows(frame_from_records([student]))[0], "reading_score"
        ),
        "JSON outcome row": outcome_row_verdict(
            validate_outcome_rows(frame_from_records([outcome]))[0], "actual_math_score"
        ),
    }
    if writable_in_csv(value):
        verdicts["CSV batch row"] = row_verdict(
            validate_rows(csv_frame(csv_bytes(student)))[0], "reading_score"
        )
        verdicts["CSV outcome row"] = outcome_row_verdict(
            validate_outcome_rows(csv_frame(csv_bytes(outcome)))[0], "actual_math_score"
        )
    return verdicts


def category_verdicts(value) -> dict:
    """What each entry point makes of ``value`` as a race/ethnicity group."""
    student = {**STUDENT, "race_ethnicity": value}
    verdicts = {
        "prediction form": form_verdict(PredictionForm(data=student), "race_ethnicity"),
        "API prediction": serializer_verdict(
            PredictionInputSerializer(data=student), "race_ethnicity"
        ),
        "JSON batch row": row_verdict(
            validate_rows(frame_from_records([student]))[0], "race_ethnicity"
        ),
    }
    if writable_in_csv(value):
        verdicts["CSV batch row"] = row_verdict(
            validate_rows(csv_frame(csv_bytes(student)))[0], "race_ethnicity"
        )
    return verdicts


def prediction_id_verdicts(value) -> dict:
    """What each entry point makes of ``value`` as the prediction a real score is for."""
    outcome = {"prediction_id": value, "actual_math_score": 70}
    verdicts = {
        "API outcome row": serializer_verdict(
            OutcomeRowInputSerializer(data=outcome), "prediction_id"
        ),
        "JSON outcome row": outcome_row_verdict(
            validate_outcome_rows(frame_from_records([outcome]))[0], "prediction_id"
        ),
    }
    if writable_in_csv(value):
        verdicts["CSV outcome row"] = outcome_row_verdict(
            validate_outcome_rows(csv_frame(csv_bytes(outcome)))[0], "prediction_id"
        )
    return verdicts


def assert_one_verdict(verdicts: dict, expected, validator, value):
    """Every entry point accepts ``value`` as ``expected``, or every one refuses it; a
    value that is not blank is refused everywhere with ``validator``'s own message (a
    blank one may get the framework's "required" or "may not be null")."""
    if expected is not REFUSED:
        assert verdicts == dict.fromkeys(verdicts, expected)
        assert validator(value) == expected
        return
    assert {name: verdict[0] for name, verdict in verdicts.items()} == dict.fromkeys(
        verdicts, REFUSED
    ), verdicts
    with pytest.raises(schema.InvalidValue) as refused:
        validator(value)
    if not schema.is_blank(value):
        assert {name: verdict[1] for name, verdict in verdicts.items()} == dict.fromkeys(
            verdicts, refused.value.message
        )


SCORES = [
    # Python's int() and float() read these; a person does not write a score so.
    ("1_0", REFUSED),
    ("７２", REFUSED),  # full-width digits
    ("٣", REFUSED),  # an Arabic-Indic digit
    ("٧٢", REFUSED),
    ("1e2", REFUSED),
    ("0x10", REFUSED),
    ("72,0", REFUSED),
    ("NaN", REFUSED),
    ("inf", REFUSED),
    # Spellings of a whole number that are.
    (" 72 ", 72),
    ("72.0", 72),
    ("72.", 72),
    ("0072", 72),
    ("+7", 7),
    ("-0", 0),
    (72, 72),
    (72.0, 72),
    (0, 0),
    (100, 100),
    # Not whole, not a number, out of range, or nothing at all.
    (72.5, REFUSED),
    ("72.5", REFUSED),
    (True, REFUSED),
    (False, REFUSED),
    (["72"], REFUSED),
    ("-1", REFUSED),
    ("101", REFUSED),
    ("1000000", REFUSED),
    (1e300, REFUSED),
    (None, REFUSED),
    ("", REFUSED),
    ("   ", REFUSED),
]


@pytest.mark.parametrize(("value", "expected"), SCORES, ids=[repr(v) for v, _ in SCORES])
def test_every_entry_point_gives_a_score_the_same_verdict(value, expected):
    """The two forms, the three serializers, CSV and JSON batch rows and outcome rows agree."""
    assert_one_verdict(score_verdicts(value), expected, schema.clean_score, value)


CATEGORIES = [
    ("group B", "group B"),
    ("Group B ", "group B"),
    ("GROUP b", "group B"),
    ("  group   c  ", "group C"),
    ("group Z", REFUSED),
    ("B", REFUSED),
    (["group B"], REFUSED),
    (3, REFUSED),
    (True, REFUSED),
    (None, REFUSED),
    ("", REFUSED),
    ("x" * 1000, REFUSED),
]


@pytest.mark.parametrize(
    ("value", "expected"), CATEGORIES, ids=[repr(v)[:20] for v, _ in CATEGORIES]
)
def test_every_entry_point_gives_a_category_the_same_verdict(value, expected):
    """The form, the serializer and CSV and JSON batch rows agree, message included."""

    def validator(v):
        return schema.clean_category(schema.RACE_ETHNICITY, v)

    assert_one_verdict(category_verdicts(value), expected, validator, value)


PREDICTION_IDS = [
    (3, 3),
    ("3", 3),
    (" 3 ", 3),
    ("10095.0", 10095),
    (10095.0, 10095),
    ("1_0", REFUSED),
    ("７", REFUSED),
    ("3.5", REFUSED),
    (0, REFUSED),
    ("0", REFUSED),
    ("-2", REFUSED),
    (True, REFUSED),
    (1e300, REFUSED),
    ("9" * 19, REFUSED),
]


@pytest.mark.parametrize(
    ("value", "expected"), PREDICTION_IDS, ids=[repr(v) for v, _ in PREDICTION_IDS]
)
def test_every_entry_point_gives_a_prediction_id_the_same_verdict(value, expected):
    """The API's outcome row and CSV and JSON outcome rows agree on which prediction."""
    assert_one_verdict(prediction_id_verdicts(value), expected, schema.clean_prediction_id, value)
