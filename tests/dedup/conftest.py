import pytest
from django.contrib.messages import get_messages

from programs.models import EnrollmentStatus, Program
from programs.services import enrollment_create
from tests.factories import HouseholdFactory


@pytest.fixture
def programs(reference):
    """The reference programs by code (pkh, sembako, pip, blt-desa, bsps, rutilahu, ...)."""
    return {p.code: p for p in Program.objects.all()}


@pytest.fixture
def reviewer(reference):
    from tests.factories import UserFactory

    return UserFactory(username="peninjau", role="bappeda_operator", first_name="Rina", last_name="Bappeda")


def make_conflict(programs, a="pkh", b="bsps", household=None):
    """A household with an active enrollment in ``a`` and a second one in ``b``: the conflict raised."""
    household = household or HouseholdFactory()
    enrollment_create(household=household, program=programs[a], year=2024, status=EnrollmentStatus.ACTIVE)
    return enrollment_create(household=household, program=programs[b], year=2024).conflicts[0]


def texts(response):
    """The flash messages a response carried to the user."""
    return [str(m) for m in get_messages(response.wsgi_request)]
