"""A staff member promotes a candidate version from the admin (a reason is required),
then rolls it back; and promotes from the version's own page."""

import pytest
from django.contrib.auth.models import Permission, User
from playwright.sync_api import expect

from ml.train import train
from predictor.models import ModelVersion, ModelVersionEvent
from predictor.registry.services import model_version_register
from tests.browser.actions import log_in
from tests.factories import make_students

pytestmark = pytest.mark.browser


@pytest.fixture
def candidate(served_model):
    """A random forest trained on other students, registered next to production, unpromoted."""
    result = train(
        make_students(300, seed=1), seed=7, quick=True, candidates=["random_forest"], n_jobs=1
    )
    version, promoted, _ = model_version_register(result=result, promote=False)
    assert not promoted and version.status == ModelVersion.Status.CANDIDATE
    return version


@pytest.fixture
def staff(served_model):
    """A staff member allowed to see and change model versions (promote, roll back)."""
    user = User.objects.create_user("lee", password="lee-secret-1", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            codename__in=["view_modelversion", "change_modelversion"],
        )
    )
    return user


def run_action(page, version: ModelVersion, action: str) -> None:
    """On the versions list: tick ``version``'s box, choose ``action`` and press Go."""
    page.get_by_role("checkbox", name=f"Select this object for an action - {version}").check()
    page.get_by_role("combobox", name="Action").select_option(label=action)
    page.get_by_role("button", name="Go").click()


def confirm_with(page, reason: str, verb: str) -> None:
    """On the confirmation page: write why and confirm."""
    page.get_by_label("Reason", exact=False).fill(reason)
    page.get_by_role("button", name=f"Confirm: {verb}").click()


def test_staff_promotes_a_candidate_and_rolls_it_back(journey, staff, served_model, candidate):
    """Admin → Model versions → promote v2 with a reason → its history → roll back to v1."""
    page = journey.page
    journey.open("/")
    log_in(page, "lee", "lee-secret-1")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    page.get_by_role("link", name="Model versions").click()
    expect(page).to_have_url(journey.url("/admin/predictor/modelversion/"))
    expect(page.get_by_role("row").filter(has_text="production")).to_have_count(1)
    journey.check("version-list")

    run_action(page, candidate, "Promote the selected version to production")
    expect(page.get_by_role("heading", level=1)).to_have_text("Promote: are you sure?")
    expect(page.locator("#content-main")).to_contain_text(
        f"Promote v{candidate.version} ({candidate.name}) to production, "
        f"archiving v{served_model.version}"
    )
    expect(page.get_by_role("columnheader", name=f"After: v{candidate.version}")).to_be_visible()
    expect(page.get_by_label("Reason (required)")).to_have_accessible_description(
        "Why, in a sentence; kept in the audit trail with your name and the time."
    )
    expect(page.get_by_role("heading", name="Fairness gate: passed")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Live MAE (points)")).to_be_visible()
    journey.check("promote-confirmation")

    # Without a reason the promotion is refused, and the page says why at the field.
    page.get_by_role("button", name="Confirm: promote").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Promote: are you sure?")
    expect(page.locator(".reason-field .field-error")).to_have_text(
        "Error: Enter a reason: a promotion is refused without one."
    )
    candidate.refresh_from_db()
    assert candidate.status == ModelVersion.Status.CANDIDATE
    assert not ModelVersionEvent.objects.filter(model_version=candidate, action="promote")
    journey.check("promote-refused-without-reason")

    page.get_by_label("Reason (required)").fill("Forest beats ridge on the spring intake")
    page.get_by_role("button", name="Confirm: promote").click()

    expect(page).to_have_url(journey.url("/admin/predictor/modelversion/"))
    expect(page.locator(".messagelist .success")).to_have_text(
        f"Production is now v{candidate.version} (was v{served_model.version}). "
        "Every web process serves it within a few seconds."
    )
    journey.check("version-list-after-promote")
    candidate.refresh_from_db()
    served_model.refresh_from_db()
    assert candidate.status == ModelVersion.Status.PRODUCTION
    assert served_model.status == ModelVersion.Status.ARCHIVED
    promotion = ModelVersionEvent.objects.get(model_version=candidate, action="promote")
    assert promotion.actor == staff and promotion.previous_production == served_model
    assert promotion.reason == "Forest beats ridge on the spring intake"

    page.get_by_role("link", name=str(candidate.version), exact=True).click()
    expect(page).to_have_url(journey.url(f"/admin/predictor/modelversion/{candidate.pk}/change/"))
    history = page.locator("table.status-history")
    latest = history.get_by_role("row").nth(1)
    expect(latest).to_contain_text("promote")
    expect(latest).to_contain_text(f"v{served_model.version} → v{candidate.version}")
    expect(latest).to_contain_text("lee")
    expect(latest).to_contain_text("Forest beats ridge on the spring intake")
    journey.check("version-page")

    page.get_by_role("navigation", name="Breadcrumbs").get_by_role(
        "link", name="Model versions"
    ).click()
    run_action(page, candidate, "Roll production back to the previous version")
    expect(page.get_by_role("heading", level=1)).to_have_text("Roll back: are you sure?")
    journey.check("rollback-confirmation")
    confirm_with(page, "Parents' evening: keep what the teachers saw", "roll back")

    expect(page.locator(".messagelist .success")).to_contain_text(
        f"Production is now v{served_model.version} (was v{candidate.version})"
    )
    served_model.refresh_from_db()
    assert served_model.status == ModelVersion.Status.PRODUCTION
    rollback = ModelVersionEvent.objects.get(action="rollback")
    assert rollback.model_version == served_model and rollback.actor == staff
    assert rollback.reason == "Parents' evening: keep what the teachers saw"


def test_staff_promotes_from_the_version_page(journey, staff, served_model, candidate):
    """The version's page has a Promote button: it leads to the same confirmation, and a
    reason promotes the version; the page then offers Roll back."""
    page = journey.page
    journey.open("/")
    log_in(page, "lee", "lee-secret-1")
    journey.open(f"/admin/predictor/modelversion/{candidate.pk}/change/")
    page.get_by_role("link", name="Promote", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Promote: are you sure?")
    page.get_by_label("Reason (required)").fill("Spring data")
    page.get_by_role("button", name="Confirm: promote").click()
    expect(page).to_have_url(journey.url(f"/admin/predictor/modelversion/{candidate.pk}/change/"))
    expect(page.locator(".messagelist .success")).to_contain_text(
        f"Production is now v{candidate.version}"
    )
    expect(page.get_by_role("link", name="Roll back", exact=True)).to_be_visible()
    journey.check("version-page-after-button-promote")
    candidate.refresh_from_db()
    assert candidate.status == ModelVersion.Status.PRODUCTION
