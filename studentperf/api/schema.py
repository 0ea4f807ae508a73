"""What the OpenAPI schema says beyond each view's ``@extend_schema``: the error bodies
(``Error``, ``FieldErrors``) with worked examples, the answers every operation can give
(401 for a bad ``Authorization`` header, 413 for a body too large, 429 with
``Retry-After``), the "Getting started" text the reference opens with, and the token
scheme offered before the session cookie.

``postprocess_schema`` is a drf-spectacular postprocessing hook (``POSTPROCESSING_HOOKS``).
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, PolymorphicProxySerializer
from rest_framework import serializers

from studentperf.api.exceptions import ErrorSerializer, not_found
from studentperf.throttling import AnonRateThrottle, UserRateThrottle, limit_text

TOKEN_SCHEME = "tokenAuth"
SESSION_SCHEME = "cookieAuth"
ERROR_REF = {"$ref": "#/components/schemas/Error"}
# An example key for the examples below, never a real one.
EXAMPLE_TOKEN = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"


class FieldErrorsSerializer(serializers.Serializer):
    """``{field: [messages]}``: DRF's answer to invalid fields (schema in the extension)."""


class FieldErrorsSchema(OpenApiSerializerExtension):
    """``FieldErrors``: an object whose keys are the offending fields (or query parameters)
    and whose values are lists of messages; no serializer field can say "any key"."""

    target_class = FieldErrorsSerializer

    def get_name(self, auto_schema, direction):
        return "FieldErrors"

    def map_serializer(self, auto_schema, direction):
        return {
            "type": "object",
            "description": "each offending field (or query parameter) with its messages",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "minProperties": 1,
        }


FORM_MEDIA_TYPES = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")


def request_examples(name: str, value, media_types=FORM_MEDIA_TYPES) -> list[OpenApiExample]:
    """One request example per media type the operation parses (JSON and the browsable
    API's two form encodings by default)."""
    return [
        OpenApiExample(name, value=value, media_type=media_type, request_only=True)
        for media_type in media_types
    ]


def error_example(name: str, detail: str, code: str, *, status: int | None = None):
    """An ``OpenApiExample`` of an ``Error`` body (``{"detail", "code"}``)."""
    return OpenApiExample(
        name,
        value={"detail": detail, "code": code},
        response_only=True,
        status_codes=[str(status)] if status else None,
    )


def error_response(description: str, *examples: OpenApiExample) -> OpenApiResponse:
    """An ``Error`` answer with its description and examples."""
    return OpenApiResponse(ErrorSerializer, description=description, examples=list(examples))


def bad_request(
    description: str, *examples: OpenApiExample, name: str = "BadRequest"
) -> OpenApiResponse:
    """A 400 that is either ``FieldErrors`` (a field broke its rule) or ``Error`` (the body
    as a whole is unreadable: not JSON, no Content-Type, ...)."""
    body = PolymorphicProxySerializer(
        component_name=name,
        serializers=[FieldErrorsSerializer, ErrorSerializer],
        resource_type_field_name=None,
    )
    return OpenApiResponse(body, description=description, examples=list(examples))


def not_found_response(thing: str, key="999", *, owned: bool = True) -> OpenApiResponse:
    """The 404 of an object one cannot see (``exceptions.not_found``'s wording); an
    ``owned`` kind is only seen by its owner (and staff)."""
    whose = " (or it is not yours: another person's answers the same)" if owned else ""
    return error_response(
        f"no such {thing}{whose}",
        error_example("Not found", str(not_found(thing, key).detail), "not_found"),
    )


JSON_PARSE_ERROR = error_example(
    "Not JSON",
    "JSON parse error - Expecting ',' delimiter: line 1 column 18 (char 17)",
    "parse_error",
    status=400,
)
NO_MODEL = error_response(
    "no model can serve: none is in production yet, or it cannot be loaded",
    error_example(
        "No model yet",
        "no model yet: run `python manage.py train_model` to train and promote one",
        "no_model",
    ),
)
TOO_LARGE = error_response(
    "the upload is over the size or row limits (BATCH_JOB_MAX_BYTES, BATCH_JOB_MAX_ROWS)",
    error_example(
        "Too many rows",
        "the file has 250,000 rows, more than the limit of 200,000 (BATCH_JOB_MAX_ROWS)",
        "too_large",
    ),
)

UNAUTHORIZED_EXAMPLE = {
    "detail": 'the Authorization scheme "Bearer" is not accepted; '
    "expected: Authorization: Token <key>",
    "code": "authentication_failed",
}


def _limit(throttle) -> str:
    """``"at most 120 requests a minute for each address without a login"``, from the
    throttle's parsed rate (``THROTTLE_ANON`` / ``THROTTLE_USER``)."""
    return limit_text(throttle.scope, throttle.num_requests, throttle.duration)


def _throttle_example() -> dict:
    limit = _limit(AnonRateThrottle())
    return {"detail": f"too many requests: {limit}; retry in 17 s", "code": "throttled"}


def _common_responses(secured: bool, has_body: bool) -> dict:
    """401 (when the operation reads the ``Authorization`` header), 413 (when it takes a
    body: Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``) and 429."""
    responses = {
        "429": {
            "description": "over the rate limit; nothing was done. Wait `Retry-After` "
            "seconds, then send the request again",
            "headers": {
                "Retry-After": {
                    "schema": {"type": "integer"},
                    "description": "seconds to wait before the next request",
                }
            },
            "content": {
                "application/json": {
                    "schema": ERROR_REF,
                    "examples": {"Throttled": {"value": _throttle_example()}},
                }
            },
        }
    }
    if has_body:
        too_large = {
            "detail": "the request body is larger than the limit of "
            f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes",
            "code": "too_large",
        }
        responses["413"] = {
            "description": "the body is over the size limit; nothing was stored",
            "content": {
                "application/json": {
                    "schema": ERROR_REF,
                    "examples": {"Too large": {"value": too_large}},
                }
            },
        }
    if secured:
        responses["401"] = {
            "description": "an `Authorization` header that is not `Token <key>` with a "
            "known key; no header at all is anonymous, refused with 401 only where staff "
            "are required",
            "headers": {
                "WWW-Authenticate": {
                    "schema": {"type": "string"},
                    "description": "`Token`",
                }
            },
            "content": {
                "application/json": {
                    "schema": ERROR_REF,
                    "examples": {"Not a token": {"value": UNAUTHORIZED_EXAMPLE}},
                }
            },
        }
    return responses


def getting_started() -> str:
    """The Markdown the reference opens with (``info.description``), with this site's rates."""
    return render_to_string(
        "drf_spectacular/getting_started.md",
        {
            "anon_limit": _limit(AnonRateThrottle()),
            "user_limit": _limit(UserRateThrottle()),
            "example_token": EXAMPLE_TOKEN,
            "unauthorized": UNAUTHORIZED_EXAMPLE,
            "throttled": _throttle_example(),
            "max_bytes": f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,}",
        },
    ).strip()


def postprocess_schema(result, generator, request, public):
    """drf-spectacular hook: "Getting started" as the description, the token scheme
    listed before the session cookie, optional query parameters that may be empty, and
    401/413/429 answers (with examples) on every operation that lacks them. Returns the schema
    dict it was given."""
    result["info"]["description"] = getting_started()
    schemes = result.get("components", {}).get("securitySchemes", {})
    if TOKEN_SCHEME in schemes:
        ordered = {TOKEN_SCHEME: schemes.pop(TOKEN_SCHEME)}
        if SESSION_SCHEME in schemes:
            session = schemes.pop(SESSION_SCHEME)
            session["description"] = (
                "the site's login session, for the browser and this page; scripts use "
                "tokenAuth (a POST with the session also needs the CSRF token)"
            )
            ordered[SESSION_SCHEME] = session
        result["components"]["securitySchemes"] = {**ordered, **schemes}
    for operations in result["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and not parameter.get("required"):
                    # DRF reads an empty query value as one left out (``?status=`` filters
                    # nothing), as django-filter and a filter form do.
                    parameter["allowEmptyValue"] = True
            secured = bool(operation.get("security"))
            common = _common_responses(secured, "requestBody" in operation)
            for status, response in common.items():
                operation["responses"].setdefault(status, response)
    return result
