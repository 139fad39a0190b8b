"""The indexes an import writes into on every record and history row: only those something reads.

The history of a household or member is read by record and date (the admin's "Riwayat"); the records
are never read by their last batch; the (desa, desil) index serves the desa lookups."""

from __future__ import annotations

import pytest
from django.db import connection

from households.models import Household, Member

pytestmark = pytest.mark.django_db


def _indexed_columns(model) -> dict[tuple[str, ...], dict]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return {tuple(info["columns"]): info for info in constraints.values() if info["index"] or info["unique"]}


@pytest.mark.parametrize("model", [Household, Member])
def test_history_is_indexed_by_record_and_date_only(model):
    history = model.history.model
    single = {columns[0] for columns in _indexed_columns(history) if len(columns) == 1}
    # (the primary key, history_id, is listed as an index on PostgreSQL only)
    assert single - {"history_id"} == {"id", "history_date", "history_user_id"}


def test_records_carry_no_index_nothing_reads():
    households = _indexed_columns(Household)
    assert ("last_batch_id",) not in households
    assert ("desa_id",) not in households and ("desa_id", "desil") in households
    assert ("last_batch_id",) not in _indexed_columns(Member)
    # The identifiers keep theirs: looked up by the import, the portal's search and the identity scan.
    assert {("p3ke_id",), ("no_kk",), ("head_nik",)} <= households.keys()
    assert {("nik",), ("id_individu",), ("household_id",)} <= _indexed_columns(Member).keys()



IDENTIFIERS = [(Household, "no_kk", "households_hh_no_kk_idx"), (Household, "head_nik", "households_hh_head_nik_idx"),
               (Member, "nik", "households_member_nik_idx")]


@pytest.mark.parametrize(("model", "column", "name"), IDENTIFIERS)
def test_each_identifier_has_one_index_for_exact_and_prefix_lookups(model, column, name):
    """``db_index=True`` gave PostgreSQL a plain index and a LIKE-prefix twin, both written by every
    import; the twin alone serves the exact lookups and the agency list's prefix search."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    assert [index for index, info in constraints.items() if info["columns"] == [column]] == [name]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
        assert "varchar_pattern_ops" in cursor.fetchone()[0]
        cursor.execute("SET LOCAL enable_seqscan = off")
    for lookup in ("exact", "in", "startswith"):
        value = ["7409010101010001"] if lookup == "in" else "7409010101010001"[: 6 if lookup == "startswith" else 16]
        plan = model.objects.filter(**{f"{column}__{lookup}": value}).explain()
        assert name in plan, (lookup, plan)



def _foreign_keys(model) -> dict[str, tuple]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return {info["columns"][0]: info["foreign_key"] for info in constraints.values() if info["foreign_key"]}


def test_the_ids_are_unique_without_a_prefix_index():
    """On PostgreSQL ``unique=True`` on a text column adds a LIKE-prefix index (varchar_pattern_ops)
    that nothing reads; the ids are unique by a constraint instead."""
    for model, column in ((Household, "p3ke_id"), (Member, "id_individu")):
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
        assert [info["unique"] for info in constraints.values() if info["columns"] == [column]] == [True]


def test_the_batch_and_user_pointers_are_not_checked_row_by_row_the_records_links_are():
    """An import's commit checked every foreign key of every row it wrote: the pointers to the
    batch and the user at work are the ORM's alone (SET_NULL on delete); a member's household, a
    household's village, an enrollment's program, household and member stay the database's."""
    from programs.models import Enrollment

    checked = {
        Household: {"desa_id", "merged_into_id"}, Member: {"household_id"},
        Enrollment: {"program_id", "household_id", "member_id"},
        Household.history.model: set(), Member.history.model: set(), Enrollment.history.model: set(),
    }
    for model, columns in checked.items():
        assert set(_foreign_keys(model)) == columns, model
    for model, name in ((Household, "last_batch"), (Member, "last_batch"), (Enrollment, "batch"), (Enrollment, "created_by")):
        assert model._meta.get_field(name).remote_field.on_delete.__name__ == "SET_NULL"


@pytest.mark.django_db(transaction=True)
def test_an_interrupted_index_build_is_built_again():
    """A concurrent build that fails leaves an invalid index under its name; migration 0017 run
    again must not keep it (IF NOT EXISTS alone would)."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent index builds are PostgreSQL's")
    import importlib

    from django.db import IntegrityError

    migration = importlib.import_module("households.migrations.0017_identifier_indexes_one_each")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE scratch_index_build (nik varchar(16))")
        cursor.execute("INSERT INTO scratch_index_build VALUES ('7409'), ('7409')")
    try:
        with pytest.raises(IntegrityError), connection.cursor() as cursor:
            cursor.execute("CREATE UNIQUE INDEX CONCURRENTLY scratch_nik_idx ON scratch_index_build (nik)")
        with connection.schema_editor(atomic=False) as editor:
            migration._build_concurrently(editor, "scratch_nik_idx", "scratch_index_build", "nik", " varchar_pattern_ops")
        with connection.cursor() as cursor:
            cursor.execute("SELECT indisvalid, indisunique FROM pg_index WHERE indexrelid = 'scratch_nik_idx'::regclass")
            assert cursor.fetchone() == (True, False)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE scratch_index_build")
