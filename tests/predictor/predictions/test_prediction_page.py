"""/predictions/<id>/: the score, its range, the reasons in points and the what-if."""

from __future__ import annotations

import re
from dataclasses import replace
from html import unescape

import pytest
from django.test import Client

from ml.predict import records_frame
from predictor.models import Prediction
from predictor.predictions import explanations
from predictor.registry import cards, serving
from predictor.registry.services import model_version_promote, model_version_register
from tests.factories import LOWEST_STUDENT, STUDENT


@pytest.fixture
def client():
    return Client()


def predict(client, **changes) -> tuple[Prediction, str]:
    """Submit the form as a teacher would; the stored prediction and its page's HTML."""
    response = client.post("/", {**STUDENT, **changes}, follow=True)
    assert response.status_code == 200
    prediction = Prediction.objects.latest("id")
    assert response.redirect_chain == [(f"/predictions/{prediction.pk}/", 302)]
    return prediction, response.content.decode()


def text_of(html: str) -> str:
    """The page's visible words, tags dropped and spaces collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_it_shows_the_score_large_and_the_range_in_words_and_as_a_bar(client, production_model):
    """The rounded score, "Likely between low and high", and an SVG bar placed on 0–100."""
    prediction, html = predict(client)
    words = text_of(html)
    low, high = round(prediction.interval_low), round(prediction.interval_high)
    assert f'<span class="score-value">{round(prediction.predicted_math_score)}</span>' in html
    assert f"Likely between {low} and {high}" in words
    assert 'class="range-bar"' in html
    assert f'x="{prediction.interval_low:.2f}%"' in html
    assert f'x1="{prediction.predicted_math_score:.2f}%"' in html
    assert "9 students in 10" in words


def test_with_the_setting_it_lists_every_fact_in_points_largest_first(
    client, production_model, settings
):
    """EXPLANATIONS_SHOW_BACKGROUND_FACTS on: every feature appears in plain words with
    signed points, sorted by size, and the baseline is stated."""
    settings.EXPLANATIONS_SHOW_BACKGROUND_FACTS = True
    prediction, html = predict(client)
    words = text_of(html)
    assert f"starts from {prediction.baseline:.1f}" in words
    ordered = sorted(prediction.contributions.items(), key=lambda kv: abs(kv[1]), reverse=True)
    positions = []
    for feature, points in ordered:
        line = (
            f"{explanations.value_phrase(feature, STUDENT[feature])} {cards.signed(points)} points"
        )
        assert line in words, line
        positions.append(words.index(line))
    assert positions == sorted(positions)
    assert "Reading score 72" in words and "No test preparation course" in words
    assert html.count('class="reason-bar"') == 7
    assert "Background facts" not in words


def test_by_default_background_facts_are_one_expandable_line(client, production_model):
    """Reading, writing and test preparation are reasons of their own; gender,
    race/ethnicity group, lunch and parental education are one line with their summed
    points, in a <details> that lists each, and the lines are sorted by size."""
    prediction, html = predict(client)
    words = text_of(html)
    c = prediction.contributions
    background = sum(c[n] for n in explanations.BACKGROUND_FACTS)
    combined = (
        "Background facts (gender, race/ethnicity group, lunch, parental education) "
        f"{cards.signed(background)} points"
    )
    assert combined in words
    assert '<li class="reason reason-' in html and "reason-background" in html
    assert html.index("<details>") < html.index("Gender: female")
    lines = {
        **{
            f"{explanations.value_phrase(n, STUDENT[n])} {cards.signed(c[n])} points": c[n]
            for n in explanations.CHANGEABLE_FACTS
        },
        combined: background,
    }
    ordered = sorted(lines, key=lambda line: abs(lines[line]), reverse=True)
    reasons_part = words[words.index("Why this score") :]
    positions = [reasons_part.index(line) for line in ordered]
    assert positions == sorted(positions)
    # Inside the details, each background fact with its points.
    for name in explanations.BACKGROUND_FACTS:
        assert f"{explanations.value_phrase(name, STUDENT[name])} {cards.signed(c[name])}" in words
    # The API still has every contribution for auditors.
    assert set(prediction.contributions) == set(explanations.CHANGEABLE_FACTS) | set(
        explanations.BACKGROUND_FACTS
    )


def test_the_what_if_offers_only_changeable_facts(client, production_model):
    """The what-if never asks about gender, race/ethnicity group, lunch or parental
    education."""
    _, html = predict(client)
    panel = text_of(html[html.index('id="what-if-heading"') :])
    for word in ("Gender", "Race/ethnicity", "lunch instead", "Parental"):
        assert word not in panel.split("Each answer holds")[0]


def test_an_unusual_student_gets_a_visible_note(client, production_model):
    """A student whose reading and writing differ by 60 points: the page says so, with
    the reason; an ordinary student's page has no note."""
    _, html = predict(client, reading_score=95, writing_score=35)
    words = text_of(html)
    assert "An unusual student for this model." in words
    assert "Reading and writing scores differ by 60 points (reading higher)" in words
    _, ordinary = predict(client)
    assert "unusual student" not in text_of(ordinary)


def test_it_answers_what_if_with_the_models_own_numbers(client, production_model, trained):
    """The what-if panel gives the model's scores with preparation completed and with ten
    more reading points, and how far each moves the prediction."""
    prediction, html = predict(client)
    words = text_of(html)
    base = trained.model.predict_point(records_frame([STUDENT]))[0]
    prep = trained.model.predict_point(
        records_frame([{**STUDENT, "test_preparation_course": "completed"}])
    )[0]
    reading = trained.model.predict_point(records_frame([{**STUDENT, "reading_score": 82}]))[0]
    assert (
        f"Had completed the test preparation course {round(prep)} "
        f"({cards.signed(prep - base)} points)" in words
    )
    assert (
        f"With 10 more reading points (82 instead of 72) {round(reading)} "
        f"({cards.signed(reading - base)} points)" in words
    )
    assert f"Answered by model v{production_model.version}, the version that made" in words


def test_a_student_who_completed_preparation_is_asked_about_none(client, production_model):
    """For a completed course the what-if is not having taken it."""
    _, html = predict(client, test_preparation_course="completed", reading_score=100)
    words = text_of(html)
    assert "Had not taken the test preparation course" in words
    assert "more reading point" not in words


def test_the_model_version_links_to_its_card(client, production_model):
    """The page names the version that answered and links to its model card."""
    _, html = predict(client)
    version = production_model.version
    assert f'<a href="/models/{version}/">v{version}</a>' in html


def test_an_old_prediction_renders_without_loading_its_former_model(
    client, production_model, trained
):
    """After a promotion, an older prediction's page keeps its score, range and reasons,
    loads no former model (the process holds only the production one), and says which
    version serves now instead of a what-if from another model."""
    prediction, _ = predict(client)
    newer, _, _ = model_version_register(
        result=replace(trained, seed=1), promote=False, actor_label="tests"
    )
    model_version_promote(model_version=newer, actor_label="tests")
    serving.reset()
    response = client.get(f"/predictions/{prediction.pk}/")
    assert response.status_code == 200
    words = text_of(response.content.decode())
    assert f"made by model v{production_model.version}, and v{newer.version} serves now" in words
    assert f"{prediction.predicted_math_score:.0f}" in words
    assert serving.current().version == newer.version


def test_someone_elses_prediction_is_a_404(client, production_model):
    """Another visitor's session cannot open the page."""
    prediction, _ = predict(client)
    assert Client().get(f"/predictions/{prediction.pk}/").status_code == 404


def test_the_page_needs_no_javascript(client, production_model):
    """No script tag: the range, reasons and what-if are all server-rendered."""
    _, html = predict(client)
    assert "<script" not in html


def test_a_rejected_attempt_page_reads_as_sentences(client, production_model):
    """An API-rejected attempt (DRF keeps messages in lists) shows its reasons as text,
    not as Python lists."""
    from django.contrib.auth.models import User
    from rest_framework.test import APIClient

    teacher = User.objects.create_user("teacher")
    api = APIClient()
    api.force_authenticate(teacher)
    response = api.post("/api/v1/predictions/", {**STUDENT, "reading_score": 400}, format="json")
    assert response.status_code == 400
    rejected = Prediction.objects.get()
    client.force_login(teacher)
    page = unescape(client.get(f"/predictions/{rejected.pk}/").content.decode())
    assert "This attempt was rejected: Reading score: must be between 0 and 100" in page
    assert "['" not in page
    assert "<h1>Attempt not scored</h1>" in page
    assert "400 <small>(sent, not accepted)</small>" in page


def test_a_ragged_row_is_counted_as_malformed_not_as_a_category():
    """A row with too many fields is counted under its own reason."""
    from ml.data import rejection_reason

    assert rejection_reason("row", "has 9 fields; the header has 8") == "row malformed"
    assert rejection_reason("lunch", '"caviar" is not one of: ...') == "lunch unknown category"


def test_the_page_says_when_the_score_was_kept_on_the_scale(client, production_model):
    """The reasons add up to the model's own figure; when that fell below 0 the page says
    so instead of claiming they add up to 0."""
    lowest = LOWEST_STUDENT
    prediction, html = predict(client, **lowest)
    page = text_of(html)
    assert prediction.predicted_math_score == 0
    figure = prediction.baseline + sum(prediction.contributions.values())
    assert figure < 0
    assert f"plus these points makes {figure:.1f}; scores are kept on the 0–100 scale" in page
    _, ordinary = predict(client)
    assert "kept on the 0–100 scale" not in ordinary


def test_a_counter_intuitive_what_if_says_why_in_its_first_line(client, db, students):
    """A model whose completed-course students scored lower for the same reading and
    writing (here: the labels swapped in training) answers "Had completed" with a lower
    figure, and the item's first line says why."""
    from ml.train import train

    swapped = students.assign(
        test_preparation_course=students["test_preparation_course"].map(
            {"none": "completed", "completed": "none"}
        )
    )
    result = train(swapped, seed=0, quick=True, candidates=["ridge"], n_jobs=1)
    model_version_register(result=result, actor_label="tests")
    _, html = predict(client)
    item = html[html.index('<li class="what-if-item what-if-down">') :]
    words = text_of(item)
    assert words.strip().startswith("Why lower: the model compares students with the same")
    assert words.index("Why lower") < words.index("Had completed the test preparation course")


def test_a_model_trained_without_gender_does_not_list_it(client, db, students):
    """Gender, not used, is no reason and not among the background facts; the page says
    the model was trained without it."""
    from ml.train import train

    result = train(
        students,
        seed=0,
        quick=True,
        candidates=["ridge"],
        n_jobs=1,
        exclude_features=["gender"],
        fairness_resamples=0,
    )
    model_version_register(result=result, actor_label="tests")
    _, html = predict(client)
    words = text_of(html)
    assert "Background facts (race/ethnicity group, lunch, parental education)" in words
    assert "Gender: female" not in words
    assert "This model was trained without gender, so it plays no part in this score." in words
