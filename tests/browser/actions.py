"""What a person does on the site, as Playwright steps shared by the journeys."""

from __future__ import annotations

from playwright.sync_api import expect

from ml import schema


def fill_prediction_form(page, student: dict) -> None:
    """Fill the form at / by its visible labels, choosing categories by their shown text."""
    for feature in schema.FEATURES:
        field = page.get_by_label(feature.label, exact=True)
        value = student[feature.name]
        if feature.is_categorical:
            field.select_option(label=schema.category_label(value))
        else:
            field.fill(str(value))


def log_in(page, username: str, password: str) -> None:
    """From any page of the site: the menu's "Log in", the form, back logged in."""
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Log in").click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(nav.get_by_role("button", name=f"Log out {username}")).to_be_visible()


def open_in_admin(page, link: str) -> None:
    """From any page of the site, as staff: the menu's "Admin", then ``link`` on its index."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    page.get_by_role("link", name=link).click()
