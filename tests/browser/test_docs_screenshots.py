"""The pages the README shows, checked like every journey, and with ``DOCS_SCREENSHOTS=1``
saved at 390 and 1280 px into ``docs/screenshots/`` (palette PNGs, so they stay small):

    DOCS_SCREENSHOTS=1 .venv/bin/python -m pytest -m browser tests/browser/test_docs_screenshots.py

- ``result-*``: the result page, background facts as one combined line;
- ``model-card-*``: the model card;
- ``promote-confirmation-*``: the promotion confirmation (figures, alerts, fairness gate);
- ``model-version-admin-*``: a version's admin page with its Promote and Roll back buttons.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from PIL import Image
from playwright.sync_api import expect

from ml.train import train
from predictor.registry.services import model_version_register
from tests.browser.actions import fill_prediction_form, log_in
from tests.browser.journey import WIDTHS
from tests.factories import STUDENT, make_students

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def keep(journey, name: str) -> None:
    """Check the page (screenshots, axe, clean page) and, when asked, keep it for the docs."""
    journey.check(name)
    if os.environ.get("DOCS_SCREENSHOTS") != "1":
        return
    DOCS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        shot = journey.screenshot_dir / f"{journey.test_name}--{name}--{width}px.png"
        with Image.open(shot) as image:
            small = image.convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT)
            small.save(DOCS / f"{name}-{width}px.png", optimize=True)


def test_the_pages_the_readme_shows(journey, served_model):
    """Result page (background facts folded into one line), model card, and the promotion
    confirmation with both versions' figures and the fairness gate's verdict."""
    page = journey.page
    journey.open("/")
    fill_prediction_form(page, STUDENT)
    page.get_by_role("button", name="Predict math score").click()
    background = page.locator(".reason-background summary")
    expect(background).to_have_count(1)
    expect(page.locator(".reason-background .reason-parts")).not_to_be_visible()
    keep(journey, "result")

    journey.open(f"/models/{served_model.version}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"v{served_model.version}")
    keep(journey, "model-card")

    result = train(make_students(300, seed=1), seed=7, quick=True, candidates=["ridge"], n_jobs=1)
    candidate = model_version_register(result=result, promote=False)[0]
    User.objects.create_superuser("lee", password="lee-secret-1")
    log_in(page, "lee", "lee-secret-1")
    journey.open(f"/admin/predictor/modelversion/{candidate.pk}/promote/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Promote: are you sure?")
    expect(page.get_by_role("heading", name="Fairness gate", exact=False)).to_be_visible()
    keep(journey, "promote-confirmation")

    journey.open(f"/admin/predictor/modelversion/{candidate.pk}/change/")
    expect(page.get_by_role("link", name="Promote", exact=False).first).to_be_visible()
    keep(journey, "model-version-admin")
