import pytest

from programs.models import Program


@pytest.fixture
def programs(reference):
    """The reference programs by code (pkh, sembako, pip, blt-desa, bsps, rutilahu, ...)."""
    return {p.code: p for p in Program.objects.all()}


@pytest.fixture
def reviewer(reference):
    from tests.factories import UserFactory

    return UserFactory(username="peninjau", role="bappeda_operator", first_name="Rina", last_name="Bappeda")
