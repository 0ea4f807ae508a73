"""ml.schema: header aliases, category spelling and the one validator per feature kind."""

import pytest

from ml import schema


@pytest.mark.parametrize(
    "header, name",
    [
        ("race/ethnicity", "race_ethnicity"),
        ("Race/Ethnicity", "race_ethnicity"),
        ("parental level of education", "parental_level_of_education"),
        ("test preparation course", "test_preparation_course"),
        ("math score", "math_score"),
        ("\ufeffgender", "gender"),
        ("  Reading_Score ", "reading_score"),
        ("WRITING-SCORE", "writing_score"),
        ("ethnicity", "race_ethnicity"),
    ],
)
def test_it_reads_kaggle_and_tutorial_headers_as_our_names(header, name):
    """Kaggle's original headers, any case, spaces or underscores map to the schema names."""
    assert schema.normalize_header(header) == name


def test_it_normalises_category_spelling():
    """Case and spacing of a category do not matter; groups keep their capital letter."""
    assert schema.normalize_category("  Group  b ") == "group B"
    assert schema.normalize_category("Free/Reduced") == "free/reduced"
    assert schema.normalize_category("Bachelor\u2019s Degree") == "bachelor's degree"


def test_it_has_seven_features_and_the_math_target():
    """The schema lists the seven features of the public data set and the target."""
    assert len(schema.FEATURES) == 7
    assert schema.TARGET == "math_score"
    assert set(schema.NUMERIC_FEATURES) == {"reading_score", "writing_score"}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1_0", schema.SCORE_NOT_WHOLE),
        ("７２", schema.SCORE_NOT_WHOLE),
        (72.5, schema.SCORE_NOT_WHOLE),
        (True, schema.SCORE_NOT_WHOLE),
        (float("inf"), schema.SCORE_NOT_WHOLE),
        ("101", schema.SCORE_OUT_OF_RANGE),
        ("-1", schema.SCORE_OUT_OF_RANGE),
        (1e300, schema.SCORE_OUT_OF_RANGE),
        ("9" * 5000, schema.SCORE_OUT_OF_RANGE),
        ("", schema.EMPTY),
        (None, schema.EMPTY),
        (float("nan"), schema.EMPTY),
    ],
)
def test_clean_score_names_the_rule_a_value_breaks(value, message):
    """Each refusal is an InvalidValue (a ValueError) worded as every channel words it."""
    with pytest.raises(schema.InvalidValue) as refused:
        schema.clean_score(value)
    assert refused.value.message == str(refused.value) == message
    assert isinstance(refused.value, ValueError)


def test_clean_score_reads_whole_numbers_as_people_write_them():
    """ "72", " 72 ", "72.0", "+7", 72.0 and a numpy integer are scores."""
    import numpy as np

    values = ["72", " 72 ", "72.0", "0072", 72.0, np.int64(72), np.float64(72.0)]
    assert [schema.clean_score(v) for v in values] == [72] * len(values)
    assert schema.clean_score("+7") == 7


def test_clean_category_normalises_and_quotes_the_value_as_sent():
    """Case and spacing do not matter; a refused value is quoted as sent, short."""
    assert schema.clean_category(schema.RACE_ETHNICITY, " GROUP  b") == "group B"
    with pytest.raises(schema.InvalidValue, match=r'^"group Z" is not one of: group A,'):
        schema.clean_category(schema.RACE_ETHNICITY, "group Z")
    with pytest.raises(schema.InvalidValue, match="^must be text: one of female, male$"):
        schema.clean_category(schema.GENDER, ["female"])


def test_clean_prediction_id_takes_a_spreadsheets_spelling_only():
    """ "10095.0" is id 10095; 0, a sign, "1_0" and a boolean are not ids."""
    assert schema.clean_prediction_id("10095.0") == 10095
    for value in (0, "-2", "1_0", True, 3.5, "9" * 19):
        with pytest.raises(schema.InvalidValue, match=schema.ID_NOT_VALID):
            schema.clean_prediction_id(value)
