"""Worked examples for the predictions API's OpenAPI documentation (``api_docs``), the
schemas of the lists checked row by row, and the error answers shared by operations."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse

from ml import schema
from studentperf.api.schema import (
    JSON_PARSE_ERROR,
    bad_request,
    error_example,
    error_response,
)

STUDENT = {
    "gender": "female",
    "race_ethnicity": "group B",
    "parental_level_of_education": "bachelor's degree",
    "lunch": "standard",
    "test_preparation_course": "none",
    "reading_score": 72,
    "writing_score": 74,
    "reference": "7B-01",
}
PREDICTION = {
    "id": 132,
    "created_at": "2026-12-02T16:33:18.801049Z",
    "channel": "api",
    "status": "ok",
    **STUDENT,
    "predicted_math_score": 66.18,
    "interval": {"low": 56.16, "high": 76.2, "level": 0.9},
    "baseline": 66.06,
    "contributions": {
        "gender": -6.14,
        "race_ethnicity": -0.25,
        "parental_level_of_education": -0.73,
        "lunch": 1.21,
        "test_preparation_course": 1.01,
        "reading_score": 0.87,
        "writing_score": 4.15,
    },
    "warnings": [],
    "features_used": list(schema.FEATURE_NAMES),
    "unusual": {"flagged": False, "reason": ""},
    "model_version": 3,
    "latency_ms": 1.7,
    "errors": {},
    "actual_math_score": None,
    "actual_recorded_at": None,
}
BATCH = {
    "batch_id": "0ff90a35-ea4a-4128-a11e-4dae122293b6",
    "created_at": "2026-12-02T16:33:19.693802Z",
    "model_version": 3,
    "rows_total": 2,
    "rows_scored": 1,
    "rows_rejected": 1,
    "rows_failed": 0,
    "rejections": {"reading_score out of 0–100": 1},
    "results": [
        {
            "index": 0,
            "id": 133,
            "status": "ok",
            "reference": "7B-01",
            "predicted_math_score": 66.18,
            "interval_low": 56.16,
            "interval_high": 76.2,
            "warnings": [],
            "errors": {},
        },
        {
            "index": 1,
            "id": 134,
            "status": "rejected",
            "reference": "7B-02",
            "predicted_math_score": None,
            "interval_low": None,
            "interval_high": None,
            "warnings": [],
            "errors": {"reading_score": "must be between 0 and 100"},
        },
    ],
}
BATCH_ROWS = [
    STUDENT,
    {**STUDENT, "gender": "male", "reading_score": 105, "reference": "7B-02"},
]
BATCH_JOB = {
    "id": "5b0e8a52-4f0c-4d43-9a51-0d8f1f3c2e77",
    "status": "running",
    "created_at": "2026-12-02T16:40:00Z",
    "started_at": "2026-12-02T16:40:01Z",
    "finished_at": None,
    "source_name": "district.csv",
    "rows_total": 20000,
    "rows_done": 8000,
    "rows_scored": 7990,
    "rows_rejected": 10,
    "rows_failed": 0,
    "rejections": {"writing_score missing": 10},
    "rows_per_second": 950.2,
    "error": "",
    "batch_id": None,
    "batch_url": None,
    "download_url": None,
}
BATCH_CSV = (
    "gender,race/ethnicity,parental level of education,lunch,test preparation course,"
    "reading score,writing score,reference\n"
    "female,group B,bachelor's degree,standard,none,72,74,7B-01\n"
    "male,group C,high school,free/reduced,completed,105,60,7B-02\n"
)
SCORED_CSV = (
    "gender,race/ethnicity,parental level of education,lunch,test preparation course,"
    "reading score,writing score,reference,predicted_math_score,interval_low,interval_high,"
    "status,error\n"
    "female,group B,bachelor's degree,standard,none,72,74,7B-01,66.18,56.16,76.2,ok,\n"
    "male,group C,high school,free/reduced,completed,105,60,7B-02,,,,rejected,"
    "reading_score must be between 0 and 100\n"
)
OUTCOME_ROWS = [
    {"prediction_id": 132, "actual_math_score": 70},
    {"reference": "7B-02", "actual_math_score": 64},
    {"prediction_id": 133, "actual_math_score": 170},
]
OUTCOME_CSV = "prediction_id,reference,actual_math_score\n132,,70\n,7B-02,64\n"
OUTCOME_REPORT = {
    "recorded": 1,
    "errors": 2,
    "rows": [
        {
            "row": 1,
            "prediction_id": 132,
            "reference": "",
            "actual_math_score": 70,
            "result": "recorded",
            "message": "recorded",
        },
        {
            "row": 2,
            "prediction_id": None,
            "reference": "7B-02",
            "actual_math_score": 64,
            "result": "error",
            "message": "reference '7B-02' matches no scored prediction",
        },
        {
            "row": 3,
            "prediction_id": 133,
            "reference": "",
            "actual_math_score": None,
            "result": "error",
            "message": "actual_math_score must be between 0 and 100",
        },
    ],
}


# A value in a row checked row by row: a CSV cell's kinds (an object or a list refuses the
# request; any other value that breaks its rule rejects that row only).
CELL = {
    "anyOf": [{"type": "string", "nullable": True}, {"type": "number"}, {"type": "boolean"}],
}


def row_list_schema(rules: dict[str, str], description: str) -> dict:
    """The schema of a JSON list checked row by row: at least one object, each value a
    ``CELL`` whatever its column (``rules`` describes the known ones). It declares no
    limit the API does not refuse the request for."""
    return {
        "type": "array",
        "minItems": 1,
        "description": description,
        "items": {
            "type": "object",
            "properties": {
                name: {**CELL, "description": f"{rule}; a value that breaks it rejects the row"}
                for name, rule in rules.items()
            },
            "additionalProperties": CELL,
        },
    }


BATCH_ROWS_SCHEMA = row_list_schema(
    {
        **{
            feature.name: f"one of {', '.join(feature.choices)}"
            if feature.is_categorical
            else "an integer from 0 to 100"
            for feature in schema.FEATURES
        },
        "reference": "free text, up to 200 characters",
    },
    "one object per student; each of the seven columns must appear in at least one. A row "
    "with a bad or missing value is stored as rejected, with its reason: it never fails "
    "the request or the other rows.",
)
OUTCOME_ROWS_SCHEMA = row_list_schema(
    {
        "prediction_id": "the id of one of your scored predictions",
        "reference": "or the reference of one of them",
        "actual_math_score": "the score the student really got, an integer from 0 to 100",
    },
    "one object per real score; `actual_math_score` and `prediction_id` or `reference` must "
    "appear. A row that cannot be recorded is reported with its reason.",
)


CSV_BODY = {"type": "string", "minLength": 1, "description": "the table, header line first"}
CSV_RESPONSE = OpenApiResponse(
    OpenApiTypes.STR,
    description="the input's columns, then predicted_math_score, interval_low, "
    "interval_high, status and error, one line per input row in order",
    examples=[OpenApiExample("Scored CSV", value=SCORED_CSV, media_type="text/csv")],
)

PREDICTION_BAD_REQUEST = bad_request(
    "invalid input: each offending field with its messages (`FieldErrors`), or a body "
    "that cannot be read (`Error`). The attempt is stored as rejected.",
    OpenApiExample(
        "Invalid fields",
        value={
            "gender": ['"f" is not one of: female, male'],
            "parental_level_of_education": ["This field is required."],
            "reading_score": ["must be between 0 and 100"],
        },
        response_only=True,
    ),
    JSON_PARSE_ERROR,
)
TABLE_BAD_REQUEST = bad_request(
    "the table cannot be read, or lacks a column (`Error`); a bad `?format=` "
    "(`FieldErrors`). Bad values in rows are not refused: those rows are reported.",
    error_example(
        "Missing column",
        "column 'race_ethnicity' is missing (found columns: gender, lunch)",
        "invalid",
        status=400,
    ),
    error_example("Empty list", "the list is empty", "invalid", status=400),
    name="TableBadRequest",
)
NOT_SCORED = error_response(
    "the prediction was rejected or failed, so there is no predicted score to compare with",
    error_example(
        "Not scored",
        "prediction 134 was rejected, so it has no predicted score to compare with; only "
        "scored predictions (status ok) take an actual score",
        "not_scored",
    ),
)
