"""HTML forms, built from ``ml.schema`` so the fields, labels and rules stay in one place."""

from __future__ import annotations

from django import forms

from ml import schema
from ml.data import SCORE_TEXT
from predictor.models import Prediction


class ScoreFormField(forms.IntegerField):
    """A 0–100 score typed with ASCII digits (Django's IntegerField also takes "1_0" as 10)."""

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and not SCORE_TEXT.fullmatch(value.strip()):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class CategoryFormField(forms.ChoiceField):
    """A schema category, read as the API and the CSV loader read it: case and spacing do
    not matter (a hand-made post of ``"MALE"`` is ``"male"``)."""

    def to_python(self, value):
        value = super().to_python(value)
        return schema.normalize_category(value) if value else value

    def validate(self, value):
        """Django's check, quoting a refused value cut short (``schema.shown``)."""
        if value and not self.valid_value(value):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": schema.shown(value)},
            )
        super().validate(value)


def schema_form_field(feature: schema.Feature) -> forms.Field:
    """The Django form field for one schema feature (a choice or a 0–100 integer)."""
    # The API's and the CSV loader's wording, so a rule reads the same on every channel.
    if feature.is_categorical:
        return CategoryFormField(
            label=feature.label,
            choices=[("", "Choose…"), *((c, schema.category_label(c)) for c in feature.choices)],
            error_messages={"invalid_choice": schema.choice_error("%(value)s", feature.choices)},
        )
    return ScoreFormField(
        label=feature.label,
        min_value=schema.SCORE_MIN,
        max_value=schema.SCORE_MAX,
        help_text=feature.help_text,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}),
        error_messages={
            "invalid": schema.SCORE_NOT_WHOLE,
            "min_value": schema.SCORE_OUT_OF_RANGE,
            "max_value": schema.SCORE_OUT_OF_RANGE,
        },
    )


class PredictionForm(forms.Form):
    """The seven features plus an optional free-text reference (e.g. a class or student code)."""

    reference = forms.CharField(
        label="Reference (optional)",
        max_length=200,
        required=False,
        help_text="A class or student code to find this prediction again.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        reference = self.fields.pop("reference")
        for feature in schema.FEATURES:
            self.fields[feature.name] = schema_form_field(feature)
        self.fields["reference"] = reference

    def features(self) -> dict:
        """The clean feature values (call after ``is_valid()``)."""
        return {name: self.cleaned_data[name] for name in schema.FEATURE_NAMES}

    def valid_features(self) -> dict:
        """The feature values that did validate, for storing a rejected attempt."""
        return {
            name: self.cleaned_data[name]
            for name in schema.FEATURE_NAMES
            if name in getattr(self, "cleaned_data", {})
        }

    def error_messages_by_field(self) -> dict[str, list[str]]:
        return {field: list(messages) for field, messages in self.errors.items()}


# The tutorial app posted race/ethnicity as "ethnicity"; other names were ours.
TUTORIAL_FIELD_NAMES = {"ethnicity": "race_ethnicity"}


def from_tutorial_post(data) -> dict:
    """Map a POST of the tutorial's form to our field names (single values)."""
    mapped = {}
    for key in data:
        mapped[TUTORIAL_FIELD_NAMES.get(key, key)] = data.get(key)
    return mapped


# As the API's filters word it (predictor.serializers).
NOT_A_DAY = "must be a day of the calendar as YYYY-MM-DD, e.g. 2026-03-01"
NOT_A_VERSION = "must be a model version number: a whole number from 1"
NOT_A_BATCH = "must be a batch id, e.g. 1b4e28ba-2fa1-11d2-883f-0016d3cca427"


class HistoryFilterForm(forms.Form):
    """The history page's filters; every one optional. ``filters()`` feeds
    ``selectors.prediction_list``."""

    date_from = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": NOT_A_DAY},
    )
    date_to = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": NOT_A_DAY},
    )
    model_version = forms.IntegerField(
        label="Model version",
        required=False,
        min_value=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": "any"}),
        error_messages={"invalid": NOT_A_VERSION, "min_value": NOT_A_VERSION},
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any"), *Prediction.Status.choices],
        error_messages={
            "invalid_choice": schema.choice_error("%(value)s", Prediction.Status.values)
        },
    )
    channel = forms.ChoiceField(
        label="Channel",
        required=False,
        choices=[("", "Any"), *Prediction.Channel.choices],
        error_messages={
            "invalid_choice": schema.choice_error("%(value)s", Prediction.Channel.values)
        },
    )
    reference = forms.CharField(label="Reference contains", required=False, max_length=200)
    batch = forms.UUIDField(
        required=False, widget=forms.HiddenInput, error_messages={"invalid": NOT_A_BATCH}
    )

    # The reference (a student or a class) is what people search by; on a phone the fields
    # stack, so it comes first and the dates last.
    field_order = ("reference", "status", "channel", "model_version", "date_from", "date_to")

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_to < date_from:
            self.add_error("date_to", "must not be before the start date")
        return cleaned

    def filters(self) -> dict:
        """The filters that were given (call after ``is_valid()``)."""
        return {name: value for name, value in self.cleaned_data.items() if value}


class OutcomeForm(forms.Form):
    """The real math score of one predicted student."""

    actual_math_score = forms.IntegerField(
        label="Actual math score",
        min_value=schema.SCORE_MIN,
        max_value=schema.SCORE_MAX,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}),
    )


class UploadForm(forms.Form):
    """One CSV file (batch scoring, or real scores)."""

    file = forms.FileField(label="CSV file")
