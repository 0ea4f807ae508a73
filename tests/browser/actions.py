"""What a person does on the site, as Playwright steps shared by the journeys."""

from __future__ import annotations

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
