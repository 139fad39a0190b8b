"""A recipient list's preview says which of its families already receive another aid of the year.

The Bupati's one-aid rule: a family receiving one aid must not receive another. Before Bappeda and
the agency confirm a list, its preview (``import_recipients --dry-run``, the upload's preview page)
counts the one-aid conflicts the list would raise and names the families, by the same rule the
engine applies when the enrollments are saved: the count the preview gives is the count the import
then reports, and the families it names are those of the conflicts the import creates."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.urls import reverse

from dedup.models import Conflict, ConflictEvent
from dedup.services import compatible_pair_create
from households.identifiers import make_nik
from households.models import ImportBatch, ImportStatus
from programs.models import Enrollment, EnrollmentStatus, Program
from programs.services import enrollment_create
from tests.factories import HouseholdFactory, MemberFactory, UserFactory
from tests.households.realfiles import write_text

from .test_import_recipients import run

pytestmark = pytest.mark.django_db

YEAR = 2024
HEADERS = ["NO", "NIK", "NO KK", "NAMA", "BANSOS", "TAHUN", "STATUS"]


def family(name, serial):
    return HouseholdFactory(
        head_name=name, no_kk=f"74090101012{serial:05d}",
        head_nik=make_nik(region="740901", birth=datetime.date(1970, 1, 1), female=False, serial=serial),
    )


@pytest.fixture
def registry(reference):
    """Families of a BSPS list and what they already receive."""
    p = {program.code: program for program in Program.objects.all()}

    def enroll(household, code, *, year=YEAR, status=EnrollmentStatus.ACTIVE, reason=""):
        return enrollment_create(household=household, program=p[code], year=year, status=status, status_reason=reason)

    f = {
        "pkh": family("SITI PKH", 101),  # PKH this year: one conflict
        "done": family("AMIR SELESAI", 102),  # RS-Rutilahu delivered and closed this year: still aid
        "twin": family("BUDI KEMBAR", 103),  # a member also on another card that receives PKH
        "both": family("RINA DUA", 104),  # listed twice, for BSPS and for PKH: the two conflict
        "back": family("YUSUF RETUR", 105),  # its BSPS came back (RETUR), PKH since; the list pays it now
        "kept": family("ANI LAMA", 106),  # BSPS and PKH already held, their conflict already open
        "old": family("DEDI LALU", 107),  # PKH last year only
        "clean": family("EKO BERSIH", 108),  # no aid
        "combined": family("FAJAR PUPUK", 109),  # Bantuan Pupuk, declared combinable with BSPS
        "paused": family("GITA TUNDA", 110),  # PKH suspended: no aid while suspended
        "double": family("IWAN GANDA", 113),  # PKH and RS-Rutilahu, their conflict open: BSPS adds two
    }
    elsewhere = family("HADI KARTU LAIN", 111)
    shared = make_nik(region="740901", birth=datetime.date(2001, 6, 6), female=True, serial=112)
    MemberFactory(household=f["twin"], nik=shared, name="SARI GANDA")
    MemberFactory(household=elsewhere, nik=shared, name="SARI GANDA")
    enroll(elsewhere, "pkh")
    enroll(f["pkh"], "pkh")
    enroll(f["done"], "rutilahu", status=EnrollmentStatus.COMPLETED)
    enroll(f["back"], "bsps", status=EnrollmentStatus.SUSPENDED, reason="Status penyaluran: RETUR")
    enroll(f["back"], "pkh")
    enroll(f["kept"], "pkh")
    enroll(f["kept"], "bsps")
    enroll(f["old"], "pkh", year=YEAR - 1)
    enroll(f["combined"], "pupuk")
    enroll(f["paused"], "pkh", status=EnrollmentStatus.SUSPENDED)
    enroll(f["double"], "pkh")
    assert enroll(f["double"], "rutilahu").conflicts
    compatible_pair_create(program_a=p["bsps"], program_b=p["pupuk"], reason="Pupuk untuk petani penerima bedah rumah",
                           by=UserFactory())
    return f


def bsps_list(tmp_path, f):
    rows = [[n, h.head_nik, h.no_kk, h.head_name, "BSPS", YEAR, "SUDAH SALUR"] for n, h in enumerate(f.values(), start=1)]
    rows.append([len(rows) + 1, f["both"].head_nik, f["both"].no_kk, f["both"].head_name, "PKH", YEAR, "SUDAH SALUR"])
    return write_text(tmp_path / "bsps_2024.csv", HEADERS, rows, separator=";")


FLAGGED = ("pkh", "done", "twin", "both", "back", "double")


def label(household):
    return f"No KK {household.no_kk} ({household.head_name})"


def flagged_by_apply(batch_id):
    """The conflicts the applied list created (their history names its batch), and the families of
    the list they concern: the side of each pair the list wrote or changed."""
    ids = set(ConflictEvent.objects.filter(batch_id=batch_id, kind="created").values_list("conflict_id", flat=True))
    listed = set(Enrollment.objects.filter(batch_id=batch_id).values_list("pk", flat=True))
    listed |= set(Enrollment.objects.filter(status_reason="", program__code="bsps", household__head_name="YUSUF RETUR")
                  .values_list("pk", flat=True))
    families = set()
    for conflict in Conflict.objects.filter(pk__in=ids).select_related("enrollment_a__household", "enrollment_b__household"):
        sides = [e for e in (conflict.enrollment_a, conflict.enrollment_b) if e.pk in listed]
        assert sides, conflict
        families |= {label(e.household) for e in sides}
    return ids, families


def test_the_dry_run_names_the_families_whose_conflicts_the_import_then_raises(registry, tmp_path):
    f = registry
    path = bsps_list(tmp_path, f)
    enrollments, conflicts = Enrollment.objects.count(), Conflict.objects.count()

    code, out, err = run("import_recipients", str(path), "--dry-run")

    assert code == 0, (out, err)
    assert "Konflik satu bantuan yang akan muncul: 7, pada 6 keluarga di daftar" in out, out
    for key in FLAGGED:
        assert label(f[key]) in out, (key, out)
    for key in ("kept", "old", "clean", "combined", "paused"):
        assert label(f[key]) not in out, (key, out)
    # Each family with the aid it already receives (or the list's other aid for it).
    assert f"{label(f['pkh'])}: BSPS {YEAR} dengan PKH {YEAR}" in out, out
    assert f"{label(f['done'])}: BSPS {YEAR} dengan RUTILAHU {YEAR}" in out, out
    assert f"{label(f['twin'])}: BSPS {YEAR} dengan PKH {YEAR} lewat No KK" in out, out
    assert f"{label(f['double'])}: BSPS {YEAR} dengan PKH {YEAR}; BSPS {YEAR} dengan RUTILAHU {YEAR}" in out, out
    assert (Enrollment.objects.count(), Conflict.objects.count()) == (enrollments, conflicts)  # nothing written

    code, out, err = run("import_recipients", str(path), "--json")
    result = json.loads(out)
    assert code == 0, err
    ids, families = flagged_by_apply(result["batch"])
    assert result["enrollments"]["conflicts"] == len(ids) == 7
    assert families == {label(f[key]) for key in FLAGGED}


def test_the_upload_preview_page_names_them_and_the_confirmed_import_raises_them(registry, bappeda_client, tmp_path):
    f = registry
    with open(bsps_list(tmp_path, f), "rb") as handle:
        bappeda_client.post(reverse("admin:households_importbatch_upload"), {"kind": "recipients", "file": handle})
    batch = ImportBatch.objects.latest("pk")
    assert batch.status == ImportStatus.PREVIEWED, (batch.status, batch.message, batch.errors)
    page = bappeda_client.get(reverse("admin:households_importbatch_preview", args=[batch.pk])).content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))

    assert "Konflik satu bantuan yang akan muncul bila dikonfirmasi: 7, pada 6 keluarga di daftar" in text, text
    named = {label(f[key]) for key in f if label(f[key]) in text}
    assert named == {label(f[key]) for key in FLAGGED}
    assert not Enrollment.objects.filter(household__head_name="EKO BERSIH").exists()

    bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED, (batch.status, batch.message, batch.errors)
    ids, families = flagged_by_apply(batch.pk)
    assert batch.counts["enrollments"]["conflicts"] == len(ids) == 7
    assert families == named
    # Applying raises the conflicts instead of forecasting them again (a second pass over the list).
    assert "conflicts_forecast" not in batch.counts
    page = bappeda_client.get(reverse("admin:households_importbatch_preview", args=[batch.pk])).content.decode()
    assert "akan muncul" not in page  # applied: the page says what was raised, not what would be


def test_a_long_forecast_names_the_first_families_in_the_lists_order_and_counts_the_rest(reference, tmp_path):
    pkh, bsps = Program.objects.get(code="pkh"), Program.objects.get(code="bsps")
    families = [family(f"PENERIMA {n:02d}", 200 + n) for n in range(12)]
    for household in families:
        enrollment_create(household=household, program=pkh, year=YEAR, status=EnrollmentStatus.ACTIVE)
    listed = list(reversed(families))  # the list's order, not the registry's
    rows = [[n, h.head_nik, h.no_kk, h.head_name, "BSPS", YEAR, "SUDAH SALUR"] for n, h in enumerate(listed, start=1)]
    path = write_text(tmp_path / "bsps.csv", HEADERS, rows, separator=";")

    code, out, err = run("import_recipients", str(path), "--dry-run")

    assert code == 0, (out, err)
    assert "Konflik satu bantuan yang akan muncul: 12, pada 12 keluarga" in out, out
    named = [line.strip()[2:] for line in out.splitlines() if line.strip().startswith("- No KK")]
    assert named == [f"{label(h)}: BSPS {YEAR} dengan PKH {YEAR}" for h in listed[:10]]
    assert "    dan 2 keluarga lain" in out, out
    assert not Enrollment.objects.filter(program=bsps).exists()
