"""ml.data.validate_rows, frame_from_records and validate_outcome_rows: every row kept."""

import pytest

from ml.data import frame_from_records, read_csv_text, validate_outcome_rows, validate_rows
from ml.errors import DataError
from tests.factories import STUDENT


def test_it_keeps_every_row_in_order_with_clean_values_or_errors():
    """Valid rows get canonical values; invalid ones name each broken rule; order is kept."""
    text = (
        "Gender,Race/Ethnicity,parental level of education,lunch,test preparation course,"
        "reading score,writing score,notes\n"
        "Female,group b,bachelor's degree,standard,none,72,74.0,a\n"
        "other,group B,high school,standard,none,101,x,b\n"
        "male,GROUP E,master’s degree,free/reduced,completed,0,100,c\n"
    )
    rows = validate_rows(read_csv_text(text))
    assert [r.ok for r in rows] == [True, False, True]
    assert rows[0].values == {**STUDENT, "writing_score": 74}
    assert rows[1].errors == {
        "gender": '"other" is not one of: female, male',
        "reading_score": "must be between 0 and 100",
        "writing_score": "must be a whole number",
    }
    assert rows[1].values["race_ethnicity"] == "group B"
    assert rows[2].values["parental_level_of_education"] == "master's degree"


def test_it_names_every_missing_column_at_once():
    """A table without five feature columns raises one DataError naming all five."""
    with pytest.raises(
        DataError,
        match="columns 'parental_level_of_education', 'lunch', 'test_preparation_course', "
        "'reading_score' and 'writing_score' are missing",
    ):
        validate_rows(read_csv_text("gender,race_ethnicity\nmale,group A\n"))


def test_the_headers_as_sent_are_kept_beside_the_canonical_ones():
    """read_csv_text keeps the original headers in attrs for the batch download."""
    frame = read_csv_text("Reading Score,race/ethnicity\n1,group A\n")
    assert list(frame.columns) == ["reading_score", "race_ethnicity"]
    assert frame.attrs["source_headers"] == ["Reading Score", "race/ethnicity"]


def test_json_records_keep_their_types_and_a_missing_key_is_empty():
    """72 and "72" both pass; True and 72.5 do not; a key an object lacks reads as empty."""
    frame = frame_from_records(
        [
            STUDENT,
            {**STUDENT, "reading_score": "72"},
            {**STUDENT, "reading_score": True},
            {**STUDENT, "reading_score": 72.5},
            {k: v for k, v in STUDENT.items() if k != "lunch"},
        ]
    )
    rows = validate_rows(frame)
    assert [r.ok for r in rows] == [True, True, False, False, False]
    assert rows[1].values["reading_score"] == 72
    assert rows[2].errors == {"reading_score": "must be a whole number"}
    assert rows[4].errors == {"lunch": "is empty"}


def test_an_item_that_is_not_an_object_is_refused():
    """frame_from_records names the position of a non-object item."""
    with pytest.raises(DataError, match="item 1 is not an object"):
        frame_from_records([STUDENT, "male"])


def test_outcome_rows_read_ids_references_and_scores():
    """Ids, references and the score under its aliases; bad cells name the column."""
    text = "id,reference,math score\n3,,70\n,7B-01,71\nx,,72\n,,73\n4,,101\n"
    rows = validate_outcome_rows(read_csv_text(text))
    assert (rows[0].prediction_id, rows[0].actual_math_score, rows[0].errors) == (3, 70, {})
    assert (rows[1].prediction_id, rows[1].reference) == (None, "7B-01")
    assert rows[2].errors == {"prediction_id": "must be a whole number above 0"}
    assert rows[3].errors == {"prediction_id": "is empty, and so is reference: give one of them"}
    assert rows[4].errors == {"actual_math_score": "must be between 0 and 100"}


def test_outcome_ids_may_be_written_as_spreadsheets_write_them():
    """ "10095.0" (a spreadsheet's or a JSON number's spelling) is id 10095; "3.5", "0" and
    "-2" are not ids."""
    text = "prediction_id,actual_math_score\n10095.0,70\n7.,70\n3.5,70\n0,70\n-2,70\n"
    rows = validate_outcome_rows(read_csv_text(text))
    assert [r.prediction_id for r in rows[:2]] == [10095, 7]
    assert [r.errors for r in rows[:2]] == [{}, {}]
    for row in rows[2:]:
        assert row.errors == {"prediction_id": "must be a whole number above 0"}


def test_outcome_rows_need_a_score_and_a_key_column():
    """Without the score column, or without both key columns, a DataError says so."""
    with pytest.raises(DataError, match="actual_math_score"):
        validate_outcome_rows(read_csv_text("id,grade\n1,2\n"))
    with pytest.raises(DataError, match="prediction_id"):
        validate_outcome_rows(read_csv_text("student,actual_math_score\n1,2\n"))


def test_a_missing_column_lists_the_first_20_found_each_quoted_short():
    """A header of 500 columns (one of them 300 characters long) gives a short message."""
    header = ",".join(["x" * 300, *(f"c{i}" for i in range(499))])
    with pytest.raises(DataError) as raised:
        validate_rows(read_csv_text(header + "\n" + ",".join("1" * 500) + "\n"))
    message = str(raised.value)
    assert message.startswith("columns 'gender', 'race_ethnicity', ")
    assert "are missing (found columns: " + "x" * 40 + "…" in message
    assert message.endswith(", c18 and 480 more)")
    assert len(message) < 400
