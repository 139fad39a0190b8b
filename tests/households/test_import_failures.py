"""Imports that fail never hang: a damaged file is a clean refusal, whether the damage shows when
the sheet is opened or halfway through its rows."""

from __future__ import annotations

import struct
import zipfile

import pytest
from django.urls import reverse

from households.imports import reader
from households.models import Household, ImportBatch, ImportStatus

from .conftest import HH_2023, household_row
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
