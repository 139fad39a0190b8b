"""Load Konut's reference data (regions, OPD, programs) from ``fixtures/``, idempotently.

Existing rows are only created when missing, never overwritten: an admin who renamed a program or
corrected an agency's name keeps the correction when the command runs again.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from agencies.models import Agency
from households.models import Desa, Kecamatan
from programs.models import Program

FIXTURES = Path(settings.BASE_DIR) / "fixtures"


@dataclass
class ReferenceCounts:
    kecamatan: int = 0
    desa: int = 0
    agencies: int = 0
    programs: int = 0


def _rows(name: str) -> list[dict[str, str]]:
    with open(FIXTURES / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@transaction.atomic
def load_reference() -> ReferenceCounts:
    """Create whatever reference rows are missing; return how many of each were created."""
    created = ReferenceCounts()

    kecamatan_by_code = {k.code: k for k in Kecamatan.objects.all()}
    for row in _rows("konut_kecamatan.csv"):
        if row["kode_kecamatan_kemendagri"] not in kecamatan_by_code:
            kecamatan_by_code[row["kode_kecamatan_kemendagri"]] = Kecamatan.objects.create(
                code=row["kode_kecamatan_kemendagri"], name=row["nama_kecamatan"], bps_code=row["kode_kecamatan_bps"]
            )
            created.kecamatan += 1

    existing_desa = set(Desa.objects.values_list("code", flat=True))
    for row in _rows("konut_wilayah.csv"):
        if row["kode_desa"] not in existing_desa:
            Desa.objects.create(
                code=row["kode_desa"],
                name=row["nama_desa"],
                kind=row["jenis"],
                kecamatan=kecamatan_by_code[row["kode_kecamatan"]],
            )
            created.desa += 1

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
    return created
