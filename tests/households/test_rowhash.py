"""Row hashes tell every cell value and its type apart, and do not depend on which objects hold them."""

from __future__ import annotations

import datetime

from households.imports.rowhash import signature, table_hasher


def test_row_hash_follows_values_and_types_not_objects():
    row_hash = table_hasher(signature("p3ke", 2023), "individu", {0: "p3ke_id", 1: "nik"})
    text = "".join(["7409", "0101"])  # built at run time: another object than the literal
    assert row_hash([text, "Ya", None]) == row_hash(["74090101", "Ya", None])
    hashes = {row_hash(cells) for cells in (["1"], [1], [1.0], [True], [None], [""], ["1", None], [datetime.date(2020, 1, 1)])}
    assert len(hashes) == 8
    assert row_hash([datetime.date(2020, 1, 1), "x"]) == row_hash([datetime.date(2020, 1, 1), "x"])
    other_layout = table_hasher(signature("p3ke", 2023), "individu", {0: "p3ke_id", 1: "name"})
    assert other_layout(["74090101", "Ya", None]) != row_hash(["74090101", "Ya", None])
