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



def test_the_ids_are_unique_without_a_prefix_index_and_the_batch_pointer_is_not_checked_per_row():
    """On PostgreSQL ``unique=True`` on a text column adds a LIKE-prefix index (varchar_pattern_ops)
    that nothing reads; the ids are unique by a constraint instead. ``last_batch`` has no database
    foreign key: its check ran once per record at the import's commit."""
    for model, column in ((Household, "p3ke_id"), (Member, "id_individu")):
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
        on_column = [info for info in constraints.values() if info["columns"] == [column]]
        assert [info["unique"] for info in on_column] == [True]
        assert not any(info["foreign_key"] for info in constraints.values() if info["columns"] == ["last_batch_id"])
        assert model._meta.get_field("last_batch").remote_field.on_delete.__name__ == "SET_NULL"
