"""ml.schema: header aliases and category spelling."""

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
