"""/admin/monitoring/ opens with the verdict and its links; one status per feature; live
figures from too few real scores greyed; shares of rejected attempts explained."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.factories import make_drifted_accurate_traffic, make_prediction

URL = "/admin/monitoring/"


@pytest.fixture
def lead(db):
    """A superuser: the verdict's links lead to admin lists only such a user may open."""
    client = Client()
    client.force_login(User.objects.create_superuser("lead", password="pw-lead-123"))
    return client


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def _verdict_section(page: str) -> str:
    match = re.search(r'<section class="verdict verdict-(\w+)".*?</section>', page, re.S)
    assert match, "the page has no verdict section"
    return match.group(0)


def test_the_page_opens_with_the_verdict_for_a_drifted_but_accurate_window(lead, production_model):
    """Drifted inputs scored accurately: the first thing in the page says so, at "watch"."""
    make_drifted_accurate_traffic(60)
    response = lead.get(URL, {"window": "24h"})
    assert response.status_code == 200
    page = response.content.decode()
    main = page[page.index('<div id="content-main"') :]
    first = re.search(r"<(section|nav|p|div)[ >][^>]*>", main[len('<div id="content-main"') :])
    assert 'class="verdict verdict-watch"' in first.group(0)
    line = _text(_verdict_section(page))
    assert line.startswith(
        "Watch Last 24 hours: Inputs have drifted on 4 of 7 features since v1 was trained, "
        "but live accuracy on 60 real scores is as good as at training"
    )
    assert "no action needed; watch live accuracy" in line
    assert response.context["verdict"]["rule"] == "drift-accurate"


def test_the_verdicts_links_lead_to_the_windows_rows_the_card_and_promotion(lead, production_model):
    """Rows: the admin's prediction list cut to the window (it opens and counts only the
    window's rows); the production version's card; the version list to promote."""
    make_drifted_accurate_traffic(40)
    make_prediction(created_at=production_model.created_at.replace(year=2020))
    response = lead.get(URL, {"window": "7d"})
    links = response.context["verdict_links"]
    section = _verdict_section(response.content.decode())
    for href in (links["rows"], links["card"], links["versions"]):
        assert f'href="{href}"'.replace("&", "&amp;") in section
    assert links["card"] == f"/models/{production_model.version}/"
    assert links["versions"] == "/admin/predictor/modelversion/"
    query = parse_qs(urlsplit(links["rows"]).query)
    assert set(query) == {"created_at__gt", "created_at__lte"}
    rows = lead.get(links["rows"])
    assert rows.status_code == 200
    assert rows.context["cl"].result_count == 40  # not the row from 2020
    assert lead.get(links["card"]).status_code == 200


def test_without_a_model_the_verdict_is_an_alert_and_nothing_is_green(lead):
    """No model can serve: the verdict says so in alert colours; no green box anywhere."""
    response = lead.get(URL)
    page = response.content.decode()
    section = _verdict_section(page)
    assert 'class="verdict verdict-alert"' in section
    assert "No model can serve predictions" in _text(section)
    assert "verdict-ok" not in page and "status-ok" not in page


def test_each_feature_has_one_status_badge_and_no_psi_badge(lead, production_model):
    """The drift table shows one status per feature (drift/watch/ok), no coloured PSI."""
    make_drifted_accurate_traffic(60)
    page = lead.get(URL, {"window": "24h"}).content.decode()
    table = page[page.index('<table class="drift">') : page.index("</table>", page.index("drift"))]
    rows = re.findall(r"<tr>.*?</tr>", table, re.S)[1:]
    assert len(rows) == 7
    for row in rows:
        assert len(re.findall(r'class="badge ', row)) == 1
    assert "psi-" not in table
    statuses = re.findall(r'class="badge status-([\w-]+)">', table)
    assert statuses.count("drift") == 4 and set(statuses) <= {"drift", "watch", "ok"}


def test_live_figures_from_too_few_real_scores_are_greyed_and_labelled(lead, production_model):
    """Five real scores: the live MAE is shown greyed, marked "too few"."""
    for actual in (60, 65, 70, 75, 80):
        make_prediction(model_version=production_model, actual_math_score=actual)
    page = lead.get(URL, {"window": "24h"}).content.decode()
    row = re.search(r'<th scope="row">v1 .*?</tr>', page, re.S).group(0)
    assert "too few" in _text(row)
    assert row.count('class="num too-few"') == 4  # MAE, RMSE, R², coverage


def test_rejection_shares_say_they_are_of_rejected_attempts_and_may_overlap(lead, production_model):
    """An attempt failing on two fields counts under both: the page says why shares exceed
    100%."""
    make_prediction(status="rejected", errors={"lunch": "required", "gender": "required"})
    page = _text(lead.get(URL, {"window": "24h"}).content.decode())
    assert "Share of rejected attempts" in page
    assert "can fail on several fields, so the shares can add up to more than 100%" in page


def test_time_charts_open_on_their_latest_buckets(lead, production_model):
    """Both volume charts scroll from the right end (latest hours) on a narrow screen."""
    make_prediction(model_version=production_model)
    page = lead.get(URL, {"window": "7d"}).content.decode()
    assert page.count('class="chart-wrap latest-first"') == 2
    assert page.count('class="chart-wrap"') == 1  # the score histogram is not a time chart
