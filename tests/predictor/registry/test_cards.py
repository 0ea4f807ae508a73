"""predictor.registry.cards: the card's plain words from stored values."""

from predictor.registry import cards


def test_the_summary_rounds_to_whole_points():
    """MAE 4.06 and mean width 19.2 read "about 4 points" and "about ±10"."""
    text = cards.plain_summary({"test_mae": 4.06, "interval_width": 19.2, "interval_level": 0.9})
    assert "usually within about 4 points" in text
    assert "for 9 students in 10 it is within about ±10 points" in text
    assert cards.plain_summary({}) == ""


def test_provenance_says_the_bundled_data_is_synthetic_and_names_no_path():
    """The bundled file is synthetic; the public file is itself generated; any other file
    is the operator's; group labels are anonymised; no directory is shown."""
    bundled = " ".join(cards.provenance("/srv/app/ml/data/students.csv"))
    assert "synthetic" in bundled and "/srv" not in bundled
    public = " ".join(cards.provenance("../shared/data/StudentsPerformance.csv"))
    assert "itself generated" in public and "../shared" not in public
    other = " ".join(cards.provenance("/home/x/district.csv"))
    assert "supplied by the operator (district.csv)" in other
    for text in (bundled, public, other):
        assert "anonymised labels" in text


def test_features_text_names_the_excluded_ones():
    """Used and excluded features as lower-case labels."""
    used, excluded = cards.features_text(
        ["lunch", "test_preparation_course", "reading_score", "writing_score"]
    )
    assert used == "lunch, test preparation course, reading score, writing score"
    assert excluded == "gender, race/ethnicity group, parental level of education"


def test_a_card_without_a_report_has_no_fairness_tables():
    """An older version (no report) gives no tables, not an error."""
    assert cards.fairness_tables({}) == []
