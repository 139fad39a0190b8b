import pytest
from django.core.management import call_command

from tests.invariants import identity_matches_name_records


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


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache. The dashboard remembers its counts under the registry's
    highest history ids, and SQLite hands the ids of a rolled-back test out again."""
    from django.core.cache import cache

    cache.clear()


# Fixtures that open the test database: a test using any of them wrote (or could write) to the registry.
_DB_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback", "live_server"}


@pytest.fixture(autouse=True)
def one_aid_invariant(request):
    """The one-aid rule holds "by any path": after every test that wrote to the registry, a full
    re-check (``dedup.engine.scan_all``, rolled back) finds nothing to create, reopen or close.
    Whatever path the test took (admin, import, service, command), it flagged and closed its
    conflicts itself. Tests that write rows past the services on purpose carry
    ``@pytest.mark.bypasses_services`` and say why (a fixture that builds such rows for every test
    using it adds the marker with ``request.node.add_marker``). Cheap: skipped when the registry
    holds no enrollment (nothing can conflict).

    Before it, after every test that opened the database (one that bypasses the services too), the
    identity matches: the database does not check what they point at (a province's scan records
    hundreds of thousands), so every path that deletes a record must take its matches with it
    (``tests.invariants.identity_matches_name_records``)."""
    uses_db = request.node.get_closest_marker("django_db") or _DB_FIXTURES & set(request.fixturenames)
    if not uses_db:
        yield
        return
    request.getfixturevalue("_django_db_helper")  # the database stays open until this check is done
    yield
    from django.db import connection, transaction

    from programs.models import Enrollment

    if connection.needs_rollback:  # the test ended inside a failed transaction it expected
        return
    # A test that bypasses the services still deletes records only through Django: its matches go too.
    identity_matches_name_records()
    if request.node.get_closest_marker("bypasses_services") or not Enrollment.objects.exists():
        return
    from dedup.engine import scan_all

    with transaction.atomic():
        found = scan_all()
        transaction.set_rollback(True)
    assert (found.new, found.reopened, found.closed) == (0, 0, 0), (
        f"a write of this test left the one-aid rule unchecked: a full re-check would create {found.new}, "
        f"reopen {found.reopened} and close {found.closed} conflicts. Write through the services, or mark the "
        f"test @pytest.mark.bypasses_services and say why."
    )


@pytest.fixture
def without_rules(reference):
    """The reference data without the default targeting rules, for tests that write the rules they
    need (history too: the loader never brings back a rule whose key it has seen)."""
    from programs.models import TargetingRule

    TargetingRule.objects.all().delete()
    TargetingRule.history.all().delete()
