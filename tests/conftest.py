import pytest
from django.core.management import call_command

from tests.invariants import identity_matches_name_records


# What ``load_reference`` wrote the first time a test of this session needed it, per region setting and
# database: {(KONUT_WILAYAH, vendor): [(model, [field values of each row]), ...]}.
_REFERENCE_ROWS = {}


def _reference_models():
    from django.apps import apps

    return [m for m in apps.get_models(include_auto_created=True) if m._meta.managed and not m._meta.proxy]


def _row_counts(models):
    return {model: model._base_manager.count() for model in models}


@pytest.fixture
def reference(db):
    """Konut's real reference data, loaded by the product's own command.

    The command runs for the first test of the session that needs it; every later test gets the very rows
    it wrote (history included, same ids) inserted again by plain INSERT statements, which takes a small
    fraction of the time. When the tables it writes are not empty (another fixture wrote to them first),
    the command runs again."""
    from django.conf import settings
    from django.db import connection

    key = (settings.KONUT_WILAYAH, connection.vendor)
    saved = _REFERENCE_ROWS.get(key)
    if saved is not None and not any(model._base_manager.exists() for model, _ in saved):
        with connection.cursor() as cursor:
            for model, (sql, rows) in saved:
                cursor.executemany(sql, rows)
        return
    models = _reference_models()
    before = _row_counts(models)
    call_command("load_reference", verbosity=0)
    written = [model for model, count in _row_counts(models).items() if count > before[model]]
    if saved is None and not any(before[model] for model in written):
        _REFERENCE_ROWS[key] = [(model, _insert_statement(model)) for model in written]


def _insert_statement(model):
    """One INSERT of the model's rows as they stand, with their values already in the database's form: a
    test inserts them again in a few milliseconds, where building model instances for ``bulk_create``
    took a third of the suite's time."""
    from django.db import connection

    fields = model._meta.concrete_fields
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields), ", ".join(["%s"] * len(fields))
    )
    rows = [
        tuple(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields)
        for obj in model._base_manager.order_by("pk")
    ]
    return sql, rows


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


@pytest.fixture(autouse=True)
def site_language():
    """Each test starts in the site's language, as a worker process does: a request the test client
    made in English leaves English active in the thread that made it, and the next test's messages
    (an import's reasons, run by the immediate task backend) would come out in it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


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


@pytest.fixture
def two_regencies(reference, settings):
    """Konawe Utara and Konawe (loaded under the province's code, as an operator now has to), with
    one family in each: Asera's and Lambuya's."""
    from households.models import Desa
    from tests.factories import HouseholdFactory

    settings.KONUT_WILAYAH = "74"  # the province covers both regencies
    call_command("load_reference", wilayah="74.02", verbosity=0)
    konut = HouseholdFactory(head_name="Keluarga Asera", desa=Desa.objects.get(code="74.09.01.2006"))
    konawe = HouseholdFactory(head_name="Keluarga Lambuya", desa=Desa.objects.get(code="74.02.01.2006"))
    return konut, konawe
