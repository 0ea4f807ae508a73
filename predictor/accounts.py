"""Signing in: the login page (which hands a visitor's anonymous predictions to their
account) and the API token endpoint."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth import views as auth_views
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.views import APIView

from predictor.errors import InvalidCredentialsError
from predictor.predictions.services import prediction_claim_session
from studentperf.api.schema import (
    EXAMPLE_TOKEN,
    JSON_PARSE_ERROR,
    bad_request,
    error_example,
    request_examples,
)


def auth_token_issue(*, username: str, password: str, request=None) -> str:
    """The API token of the user with these credentials, created on first use.

    Raises ``InvalidCredentialsError`` (400) for a wrong username or password or an
    inactive account, without saying which.
    """
    user = authenticate(request, username=username, password=password)
    if user is None:
        raise InvalidCredentialsError("wrong username or password")
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


class AuthTokenInputSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class AuthTokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="send as the header `Authorization: Token <token>`")


class AuthTokenCreate(APIView):
    """Trade a username and password for an API token."""

    # Credentials travel in the body; no session, hence no CSRF check, is needed.
    authentication_classes = []

    @extend_schema(
        request=AuthTokenInputSerializer,
        responses={
            200: AuthTokenSerializer,
            400: bad_request(
                "wrong username or password, or an inactive account (`Error`, not saying "
                "which); a missing field (`FieldErrors`)",
                error_example(
                    "Wrong credentials", "wrong username or password", "invalid_credentials"
                ),
                OpenApiExample(
                    "Missing field",
                    value={"password": ["This field is required."]},
                    response_only=True,
                ),
                JSON_PARSE_ERROR,
                name="TokenBadRequest",
            ),
        },
        examples=[
            *request_examples("Credentials", {"username": "teacher", "password": "your password"}),
            OpenApiExample("Token", value={"token": EXAMPLE_TOKEN}, response_only=True),
        ],
        auth=[],
        summary="Get your API token",
        description="Send your site username and password; the answer's token goes in "
        "the header `Authorization: Token <token>` of every later request. The same token "
        "comes back each time.",
    )
    def post(self, request):
        serializer = AuthTokenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = auth_token_issue(request=request, **serializer.validated_data)
        return Response({"token": token})


class LoginView(auth_views.LoginView):
    """Django's login page; what the visitor scored before logging in becomes theirs."""

    def form_valid(self, form):
        # Logging in replaces the session, so remember the old key first.
        previous_key = self.request.session.session_key
        response = super().form_valid(form)
        prediction_claim_session(user=form.get_user(), session_key=previous_key)
        return response
