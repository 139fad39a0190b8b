"""Imports that fail never hang, never hide the failure and never store a person's data in the
message: a damaged file is a clean refusal, a failed identity scan is said on the batch, a database
error is summarised (its text, which can quote a row, stays in the server log)."""

from __future__ import annotations

import json
import struct
import zipfile

import pytest
from django.urls import reverse

from households.imports import reader
from households.imports.outcome import FAILED
from households.imports.progress import Progress
from households.imports.services import import_apply
from households.models import Household, ImportBatch, ImportStatus

from .conftest import HH_2023, household_row, nik
from .test_import_admin import upload
from .test_import_bad_input import registry_state, run

pytestmark = pytest.mark.django_db

SHEET = "xl/worksheets/sheet1.xml"


def _rewrite(source, target, transform):
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in original.infolist():
            data = original.read(info)
            out.writestr(info, transform(data) if info.filename == SHEET else data)
    return target


def truncated_sheet(p3ke_file, tmp_path):
    """A workbook whose first sheet's XML stops halfway (a download cut short, then re-zipped)."""
    return _rewrite(p3ke_file(name="whole.xlsx"), tmp_path / "terpotong.xlsx", lambda data: data[: len(data) // 2])


def lying_sizes(p3ke_file, tmp_path):
    """A zip whose headers declare a far smaller uncompressed size for the sheet than it has."""
    data = bytearray(p3ke_file(name="whole.xlsx").read_bytes())
    for signature, offset, name_at in ((b"PK\x01\x02", 24, 46), (b"PK\x03\x04", 22, 30)):
        position = data.find(signature)
        while position >= 0:
            length = struct.unpack("<H", data[position + name_at - 18 : position + name_at - 16])[0]
            if bytes(data[position + name_at : position + name_at + length]) == SHEET.encode():
                struct.pack_into("<I", data, position + offset, 100)
            position = data.find(signature, position + 4)
    path = tmp_path / "ukuran-bohong.xlsx"
    path.write_bytes(bytes(data))
    return path


def huge_field_csv(p3ke_file, tmp_path):
    """A CSV whose 40th data row holds a cell beyond the csv module's field limit: the error comes
    while the rows are being read, long after the file was opened and its header found."""
    headers = HH_2023
    lines = [";".join(headers)]
    for index in range(60):
        row = household_row(str(122100000 + index), 300 + index)
        if index == 40:
            row["Alamat"] = "x" * 200_000
        lines.append(";".join(str(row[h]) for h in headers))
    path = tmp_path / "p3ke.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


DAMAGED = {"truncated sheet": truncated_sheet, "lying zip sizes": lying_sizes, "error while iterating": huge_field_csv}


@pytest.fixture
def seeded(reference, p3ke_file):
    code, _, _ = run("import_p3ke", str(p3ke_file(name="first.xlsx")))
    assert code == 0
    return registry_state()


@pytest.mark.parametrize("damage", DAMAGED)
def test_a_damaged_file_is_refused_by_the_command(seeded, p3ke_file, tmp_path, damage):
    path = DAMAGED[damage](p3ke_file, tmp_path)
    code, out, err = run("import_p3ke", str(path))
    assert code == 2, (out, err)
    assert "rusak atau tidak lengkap" in err and "Traceback" not in out + err
    assert registry_state() == seeded
    failed = ImportBatch.objects.exclude(original_name="first.xlsx").get()
    assert failed.status == ImportStatus.FAILED and "rusak atau tidak lengkap" in failed.message


def test_a_damaged_large_sheet_read_in_chunks_is_refused(seeded, p3ke_file, tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "CHUNKED_PART_BYTES", 1)  # every sheet goes through the chunked reader
    monkeypatch.setattr(reader, "CHUNK_BYTES", 2048)
    path = truncated_sheet(p3ke_file, tmp_path)
    code, out, err = run("import_p3ke", str(path), "--dry-run")
    assert code == 2 and "rusak atau tidak lengkap" in err, (out, err)
    assert registry_state() == seeded


@pytest.mark.parametrize("damage", DAMAGED)
def test_a_damaged_upload_ends_failed_with_its_message_not_checking_forever(bappeda_client, reference, p3ke_file, tmp_path, damage):
    path = DAMAGED[damage](p3ke_file, tmp_path)
    upload(bappeda_client, path)
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.FAILED and "rusak atau tidak lengkap" in batch.message
    page = bappeda_client.get(reverse("households:import_status", args=[batch.pk])).content.decode()
    assert "Gagal" in page and "rusak atau tidak lengkap" in page and "Memeriksa" not in page
    assert not Household.objects.exists()


# --- failures told, not swallowed ----------------------------------------------------------------------


def test_a_failed_identity_scan_is_said_on_the_batch(bappeda_client, reference, p3ke_file, monkeypatch):
    from dedup import services as dedup_services

    def broken():
        raise RuntimeError("identity scan broke")

    monkeypatch.setattr(dedup_services, "identity_scan", broken)
    code, out, err = run("import_p3ke", str(p3ke_file()), "--json")
    summary = json.loads(out)
    assert code == 0 and summary["identity_scan_failed"] is True and "identity_duplicates" not in summary
    assert "pencarian duplikat identitas gagal" in summary["message"]
    batch = ImportBatch.objects.get(pk=summary["batch"])
    assert batch.status == ImportStatus.APPLIED and "pencarian duplikat identitas gagal" in batch.message
    page = bappeda_client.get(reverse("households:import_status", args=[batch.pk])).content.decode()
    assert "pencarian duplikat identitas gagal" in page


def test_the_final_message_is_not_replaced_by_the_last_phase(bappeda_client, reference, p3ke_file):
    path = p3ke_file()
    for _attempt in range(2):
        upload(bappeda_client, path)
        batch = ImportBatch.objects.latest("pk")
        bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED
    assert batch.message.startswith("Berkas yang sama sudah diimpor pada batch #")
    assert "Mencari duplikat identitas" not in batch.message


class BreaksAConstraint(Progress):
    """During the write, a row the database refuses; PostgreSQL quotes the whole row in its error."""

    NIK, NAME = nik(777), "SITI RAHASIA"

    def __init__(self):
        self.writing = False

    def phase(self, name, total=0):
        self.writing = name == "write"

    def advance(self, count):
        if self.writing:
            from households.models import Desa

            Household.objects.create(head_name=self.NAME, head_nik=self.NIK, desa=Desa.objects.first(), desil=11)


def test_a_database_failure_stores_no_nik_or_name(bappeda_client, reference, p3ke_file, caplog):
    upload(bappeda_client, p3ke_file())
    batch = ImportBatch.objects.get()
    outcome = import_apply(batch=batch, progress=BreaksAConstraint())
    batch.refresh_from_db()
    assert outcome.status == FAILED and batch.status == ImportStatus.FAILED
    assert "tidak ada data yang diubah" in batch.message and "bertentangan dengan aturan basis data" in batch.message
    stored = batch.message + json.dumps(batch.errors) + json.dumps(batch.counts)
    assert BreaksAConstraint.NIK not in stored and BreaksAConstraint.NAME not in stored
    assert "households_household_desil_1_10" in caplog.text  # the whole error is in the server log
    assert not Household.objects.exists()
    # A failed write, its file read and checked to the end, is retried by confirming again.
    page = bappeda_client.get(reverse("admin:households_importbatch_preview", args=[batch.pk])).content.decode()
    assert "Konfirmasi impor" in page and "Pratinjau ulang" not in page
    bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED and Household.objects.count() == 3
