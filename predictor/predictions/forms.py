"""HTML forms, built from ``ml.schema`` so the fields, labels and rules stay in one place."""

from __future__ import annotations

from django import forms

from ml import schema
from predictor.models import Prediction


class ScoreFormField(forms.IntegerField):
    """A 0–100 score; ``schema.clean_score`` gives the verdict, as on every channel. A blank
    entry is Django's "required"."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}))
        super().__init__(min_value=schema.SCORE_MIN, max_value=schema.SCORE_MAX, **kwargs)
        # min and max stay for the widget's attributes; the range is clean_score's rule.
        self.validators = []

    def to_python(self, value):
        if schema.is_blank(value):
            return None
        try:
            return schema.clean_score(value)
        except schema.InvalidValue as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None


class CategoryFormField(forms.ChoiceField):
    """One of ``feature``'s categories; ``schema.clean_category`` gives the verdict, as on
    every channel (a hand-made post of ``"MALE"`` is ``"male"``). A blank choice is
    Django's "required"."""

    def __init__(self, feature: schema.Feature, **kwargs):
        self.feature = feature
        choices = [("", "Choose…"), *((c, schema.category_label(c)) for c in feature.choices)]
        super().__init__(label=feature.label, choices=choices, **kwargs)

    def to_python(self, value):
        if schema.is_blank(value):
            return ""
        try:
            return schema.clean_category(self.feature, value)
        except schema.InvalidValue as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None

    def validate(self, value):
        """Only Django's "required": the choice was ``clean_category``'s to check."""
        forms.Field.validate(self, value)


def schema_form_field(feature: schema.Feature) -> forms.Field:
    """The Django form field for one schema feature (a choice or a 0–100 integer)."""
    if feature.is_categorical:
        return CategoryFormField(feature, help_text=feature.help_text)
    return ScoreFormField(label=feature.label, help_text=feature.help_text)


# What the form asks for, as the GOV.UK error pattern words it: "Select the student's
# gender", "Enter the reading score, a whole number from 0 to 100".
FIELD_PROMPTS = {
    "gender": "the student's gender",
    "race_ethnicity": "the student's race/ethnicity group",
    "parental_level_of_education": "the parents' level of education",
    "lunch": "the student's lunch",
    "test_preparation_course": "whether the student took the test preparation course",
    "reading_score": "the reading score",
    "writing_score": "the writing score",
    "actual_math_score": "the actual math score",
}


def field_message(name: str, label: str, code: str | None, message: str) -> str:
    """The message a person reads beside field ``name`` for an error of ``code``
    (``"required"``, or one of ``schema.InvalidValue``'s codes); ``message`` is the
    schema's verdict, kept where it names the rule broken."""
    prompt = FIELD_PROMPTS.get(name, label.lower())
    feature = schema.FEATURES_BY_NAME.get(name)
    if feature is not None and feature.is_categorical:
        if code in ("required", "empty"):
            return f"Select {prompt}"  # noqa: S608 (a message, not SQL)
        return f"Select {prompt} from the list ({message})"  # noqa: S608 (a message, not SQL)
    if code in ("required", "empty"):
        return f"Enter {prompt}, a whole number from {schema.SCORE_MIN} to {schema.SCORE_MAX}"
    return f"{label} {message}"


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

    def problems(self) -> list[tuple[forms.BoundField, str]]:
        """(field, message for people, ``field_message``) per invalid field, in the form's
        order: the error summary's list and each field's message."""
        found = []
        for bound in self:
            errors = self.errors.as_data().get(bound.name)
            if errors:
                error = errors[0]
                text = " ".join(error.messages)
                # Bound fields are cached by the form: the template finds it on the field.
                bound.problem = field_message(bound.name, bound.label, error.code, text)
                found.append((bound, bound.problem))
        return found


# The tutorial app posted race/ethnicity as "ethnicity"; other names were ours.
TUTORIAL_FIELD_NAMES = {"ethnicity": "race_ethnicity"}


def from_tutorial_post(data) -> dict:
    """Map a POST of the tutorial's form to our field names (single values)."""
    mapped = {}
    for key in data:
        mapped[TUTORIAL_FIELD_NAMES.get(key, key)] = data.get(key)
    return mapped


class HistoryFilterForm(forms.Form):
    """The history page's filters; every one optional. ``filters()`` feeds
    ``selectors.prediction_list``."""

    date_from = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": schema.NOT_A_DAY},
    )
    date_to = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": schema.NOT_A_DAY},
    )
    model_version = forms.IntegerField(
        label="Model version",
        required=False,
        min_value=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": "any"}),
        error_messages={"invalid": schema.NOT_A_VERSION, "min_value": schema.NOT_A_VERSION},
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
        required=False, widget=forms.HiddenInput, error_messages={"invalid": schema.NOT_A_BATCH}
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

    actual_math_score = ScoreFormField(label="Actual math score")

    def problems(self) -> list[tuple[forms.BoundField, str]]:
        """As ``PredictionForm.problems``."""
        return PredictionForm.problems(self)


class UploadForm(forms.Form):
    """One file (batch scoring, or real scores): CSV, tab-separated text or an Excel
    workbook, and for a workbook the sheet to read (blank: the first)."""

    file = forms.FileField(
        label="File (CSV, tab-separated text or Excel .xlsx)",
        error_messages={"required": "Choose a file to upload", "empty": "The file is empty"},
        widget=forms.ClearableFileInput(
            attrs={"accept": ".csv,.tsv,.txt,.xlsx,text/csv,text/tab-separated-values"}
        ),
    )
    sheet = forms.CharField(
        label="Sheet (optional, for an Excel workbook)",
        required=False,
        max_length=100,
        help_text="Leave blank to read the first sheet.",
    )


class OutcomeUploadForm(UploadForm):
    """A file of real scores, and what to do when a reference matches several of the
    user's scored predictions (the same class uploaded twice)."""

    AMBIGUOUS_CHOICES = [
        ("newest", "Use the newest scored prediction with that reference"),
        ("refuse", "Refuse the row, so that I give the prediction id"),
    ]
    on_ambiguous = forms.ChoiceField(
        label="When a reference matches several predictions",
        choices=AMBIGUOUS_CHOICES,
        initial="newest",
        widget=forms.RadioSelect,
        required=False,
    )
