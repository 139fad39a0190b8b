import pytest
from django.core.management import call_command


@pytest.fixture
def reference(db):
    """Konut's real reference data, loaded by the product's own command."""
    call_command("load_reference", verbosity=0)


@pytest.fixture
def bappeda_user(reference):
    from tests.factories import UserFactory

    return UserFactory(username="bappeda", role="bappeda_operator")


@pytest.fixture
def bappeda_client(client, bappeda_user):
    client.force_login(bappeda_user)
    return client


@pytest.fixture
def without_rules(reference):
    """The reference data without the default targeting rules, for tests that write the rules they
    need (history too: the loader never brings back a rule whose key it has seen)."""
    from programs.models import TargetingRule

    TargetingRule.objects.all().delete()
    TargetingRule.history.all().delete()
