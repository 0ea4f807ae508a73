"""People for the predictions tests: two users and a staff member."""

import pytest
from django.contrib.auth.models import User


@pytest.fixture
def alice(db):
    return User.objects.create_user("alice", password="alice-secret-1")


@pytest.fixture
def bob(db):
    return User.objects.create_user("bob", password="bob-secret-1")


@pytest.fixture
def staff(db):
    return User.objects.create_user("staff", password="staff-secret-1", is_staff=True)
