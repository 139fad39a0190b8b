"""Generate a P3KE-format workbook (2023 layout: KEPALA-KELUARGA and INDIVIDU sheets) of any size.

Default: Konawe Utara scale, 26,000 families and about 84,000 members, with a share of the mess real
extracts have: title rows above the header, UPPER/Mixed case and stray spaces in categorical values,
dates in several forms, blank NIKs, values no choice list knows, NIKs whose sex digit disagrees with
the stated sex, and (``--error-rate``) rows with real errors (a NIK damaged by Excel, a village
outside Konut, a decile of 9). The same ``--seed`` gives the same file; ``--change-share 0.05``
changes 5% of the families (decile, water source, a member's name) on top of it, for re-sync tests.

    .venv/bin/python bench/generate_p3ke.py --families 26000 --out var/bench/p3ke.xlsx
"""

from __future__ import annotations

import argparse
import datetime
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from openpyxl import Workbook  # noqa: E402
from openpyxl.cell import WriteOnlyCell  # noqa: E402

from households.identifiers import make_nik  # noqa: E402
from households.wilayah import region_tree  # noqa: E402

HH_HEADERS = [
    "ID Keluarga P3KE", "Provinsi", "Kabupaten/Kota", "Kecamatan", "Desa/Kelurahan", "Kode Kemdagri",
    "Desil Kesejahteraan", "Dimuktakhirkan Tahun", "Persentil", "Prioritas Verval", "Alamat",
    "Nama Kepala Keluarga", "NIK Kepala Keluarga", "NIK Kepala Keluarga Padan Kemdagri",
    "Jenis Kelamin Kepala Keluarga", "Tanggal Lahir Kepala Keluarga", "Status Kawin Kepala Keluarga",
    "Pekerjaan Kepala Keluarga", "Status Pekerjaan Kepala Keluarga", "Pendidikan Kepala Keluarga",
    "Kepemilikan Rumah", "Memiliki Simpanan Uang/Perhiasan/Ternak/Lainnya", "Jenis Atap", "Kualitas Atap",
    "Jenis Dinding", "Kualitas Dinding", "Jenis Lantai", "Kualitas Lantai", "Sumber Penerangan",
    "Daya Listrik Terpasang", "Bahan Bakar Memasak", "Sumber Air Minum", "Memiliki fasilitas Buang Air Besar",
    "Penerima BPNT", "Penerima BPUM", "Penerima BST", "Penerima PKH", "Penerima SEMBAKO", "Penerima Prakerja",
    "Penerima KUR", "Resiko Stunting",
]
IND_HEADERS = [
    "ID Keluarga P3KE", "Provinsi", "Kabupaten/Kota", "Kecamatan", "Desa/Kelurahan", "Kode Kemdagri",
    "Desil Kesejahteraan", "Alamat", "ID Individu", "Nama", "NIK", "Padan Dukcapil", "Jenis Kelamin",
    "Hubungan dengan Kepala Keluarga", "Tanggal Lahir", "Status Kawin", "Pekerjaan", "Status Pekerjaan",
    "Pendidikan", "Usia 2023", "Kelompok Usia 2023", "Penerima BPNT", "Penerima BPUM", "Penerima BST",
    "Penerima PKH", "Penerima SEMBAKO", "Penerima Prakerja", "Penerima KUR", "Resiko Stunting",
]
FIRST = ["Asrul", "Wa Ode", "La Ode", "Hasnah", "Rahman", "Sitti", "Muh.", "Nur", "Andi", "Yusuf", "Hasan", "Fitri",
         "Ruslan", "Darmawati", "Saharudin", "Marlina", "Jumadil", "Irma", "Baharudin", "Sumarni"]
LAST = ["Lapolo", "Tosuka", "Lambuli", "Sarita", "Mokole", "Tamburaka", "Laumbu", "Lasandara", "Rahim", "Hamid",
        "Baso", "Kadir", "Labaso", "Tawulo", "Saranani"]
OCCUPATIONS = ["Petani", "Nelayan", "Pedagang", "Wiraswasta", "Pekerja Lepas", "Tidak/Belum Bekerja", "PETANI", "petani "]
EDUCATION = ["Tamat SD/Sederajat", "Tdk Tamat SD/Sederajat", "Tamat SLTP/Sederajat", "Tamat SLTA/Sederajat", "TIDAK/BELUM SEKOLAH"]
ROOF = ["Asbes/Seng", "Genteng", "Kayu/Sirap", "Jerami/Ijuk/Rumbia/ Daun-daunan", "ASBES/SENG"]
WALL = ["Kayu/Papan", "Tembok", "Bambu", "KAYU/PAPAN"]
FLOOR = ["Kayu/Papan", "Semen", "Tanah", "Bambu"]
QUALITY = ["Jelek/Kualitas Rendah", "Bagus/Kualitas Tinggi", "Kosong"]
LIGHT = ["Listrik PLN meteran", "Listrik PLN non meteran", "Listrik non-PLN", "Bukan listrik"]
FUEL = ["Arang/Kayu", "Minyak Tanah", "Listrik/Gas"]
WATER = ["Sumur Terlindung", "Sumur Tidak Terlindung", "Air Permukaan (Sungai, Danau, dll)", "Ledeng/PAM", "Air Kemasan/Isi Ulang", "Sumur Bor"]
TOILET = ["Milik Sendiri", "Umum/Bersama", "Lainnya", "Kosong"]
OWNERSHIP = ["Milik Sendiri", "Bebas Sewa/Menumpang", "Kontrak/Sewa", "Milik sendiri "]


def _villages() -> list[tuple[str, str, str]]:
    """Konawe Utara's 170 villages from the Kemendagri list, in code order: (kecamatan, desa, code)."""
    regency = region_tree("74.09").regencies[0]
    return [(d.name, v.name, v.code.replace(".", "")) for d in regency.districts for v in d.villages]


def _yes(rng: random.Random, share: float) -> str:
    return rng.choice(("Ya", "YA")) if rng.random() < share else rng.choice(("Tidak", "TIDAK", "Tidak"))


def _date(rng: random.Random, day: datetime.date, style: str):
    if style == "iso":
        return day.isoformat()
    if style == "dmy":
        return f"{day.day}/{day.month}/{day.year} 00:00"
    return day  # a real date cell


def build(families: int, seed: int, *, change_share: float = 0.0, error_rate: float = 0.002):
    """Rows of both sheets; the same ``seed`` gives the same families before changes."""
    rng = random.Random(seed)
    change = random.Random(seed + 1)
    villages = _villages()
    households, members = [], []
    serial = 0
    for index in range(families):
        kecamatan, desa, code = villages[rng.randrange(len(villages))]
        pid = str(120_000_000 + index)
        head_birth = datetime.date(rng.randint(1945, 2000), rng.randint(1, 12), rng.randint(1, 28))
        female_head = rng.random() < 0.15
        serial += 1
        head_nik = make_nik(region=code[:6], birth=head_birth, female=female_head, serial=serial % 9999 + 1)
        head_name = f"{rng.choice(FIRST)} {rng.choice(LAST)}".upper()
        desil = rng.choice((1, 1, 2, 2, 3, 3, 4))
        water = rng.choice(WATER)
        changed = change_share and change.random() < change_share
        if changed:
            desil = desil % 4 + 1
            water = WATER[(WATER.index(water) + 1) % len(WATER)]
        mess = rng.random()
        region_code = code
        if mess < error_rate / 3:
            region_code = "7402012001"  # Konawe, outside Konut
        elif mess < 2 * error_rate / 3:
            desil = 9
        head_nik_cell: object = head_nik
        if rng.random() < error_rate / 3:
            head_nik_cell = float(head_nik[:15] + "0")  # went through a number cell
        elif rng.random() < 0.01:
            head_nik_cell = ""
        aid = {k: _yes(rng, p) for k, p in (("BPNT", 0.25), ("BPUM", 0.05), ("BST", 0.05), ("PKH", 0.2), ("SEMBAKO", 0.25), ("Prakerja", 0.02), ("KUR", 0.02))}
        households.append([
            pid, "SULAWESI TENGGARA", "KONAWE UTARA", kecamatan.upper(), desa.upper(), region_code, desil, 2023,
            rng.randint(1, 40), "Normal", f"DUSUN {rng.randint(1, 5)}", head_name, head_nik_cell,
            rng.choice(("Padan", "PADAN", "Tidak Padan")), "Perempuan" if female_head else "Laki-laki",
            _date(rng, head_birth, "iso"), rng.choice(("Kawin", "KAWIN", "Cerai Mati")), rng.choice(OCCUPATIONS),
            rng.choice(("Berusaha Sendiri", "Buruh/Karyawan/Pegawai", "KOSONG")), rng.choice(EDUCATION), rng.choice(OWNERSHIP),
            rng.choice(("Tidak", "Ya")), rng.choice(ROOF), rng.choice(QUALITY), rng.choice(WALL), rng.choice(QUALITY),
            rng.choice(FLOOR), rng.choice(QUALITY), rng.choice(LIGHT), rng.choice(("=< 900 WATT", "> 900 WATT", "KOSONG")),
            rng.choice(FUEL), water, rng.choice(TOILET), aid["BPNT"], aid["BPUM"], aid["BST"], aid["PKH"],
            aid["SEMBAKO"], aid["Prakerja"], aid["KUR"],
            rng.choice(("Tidak Beresiko Stunting", "Beresiko Stunting", "Bukan Target Sasaran", "Beresiko stunting ")),
        ])
        size = rng.choices((1, 2, 3, 4, 5, 6), weights=(8, 22, 25, 24, 14, 7))[0]
        for position in range(size):
            if position == 0:
                relation, birth, female, name, nik = "Kepala Keluarga", head_birth, female_head, head_name, head_nik
            else:
                relation = "Istri/Suami" if position == 1 else rng.choice(("Anak", "Anak", "ANAK", "Lainnya", "Cucu"))
                female = (not female_head) if position == 1 else rng.random() < 0.5
                birth = datetime.date(rng.randint(1950 if position == 1 else 1995, 2022), rng.randint(1, 12), rng.randint(1, 28))
                name = f"{rng.choice(FIRST)} {rng.choice(LAST)}".upper()
                serial += 1
                nik = make_nik(region=code[:6], birth=birth, female=female, serial=serial % 9999 + 1)
                if rng.random() < 0.02:
                    nik = ""
            if changed and position == size - 1:
                name = name + " ALIAS"
            stated_sex = ("Perempuan" if female else "Laki-laki") if rng.random() > 0.003 else ("Laki-laki" if female else "Perempuan")
            members.append([
                pid, "SULAWESI TENGGARA", "KONAWE UTARA", kecamatan.upper(), desa.upper(), code, desil, "",
                f"{pid}{position + 1:02d}", name, nik, rng.choice(("Padan", "Tidak Padan", "Kosong")), stated_sex,
                relation, _date(rng, birth, "iso"), "Kawin" if position < 2 else "Belum Kawin",
                rng.choice(OCCUPATIONS), "", rng.choice(EDUCATION), 2023 - birth.year, "", aid["BPNT"], aid["BPUM"],
                aid["BST"], aid["PKH"], aid["SEMBAKO"], "Tidak", "Tidak", "Bukan Target Sasaran",
            ])
    return households, members


def _as_text(sheet, row: list) -> list:
    """Text starting with "=" (``=< 900 WATT``) as a text cell, as Excel saves it; openpyxl would
    write it as a formula."""
    out = []
    for value in row:
        if isinstance(value, str) and value.startswith("="):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            value = cell
        out.append(value)
    return out


def write(path: Path, households, members, *, title_rows: int = 12) -> Path:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("KEPALA-KELUARGA")
    for index in range(title_rows):
        sheet.append(["DATA PENSASARAN PERCEPATAN PENGHAPUSAN KEMISKINAN EKSTREM (P3KE)" if index == 0 else None])
    sheet.append(HH_HEADERS)
    for row in households:
        sheet.append(_as_text(sheet, row))
    sheet = workbook.create_sheet("INDIVIDU")
    sheet.append(IND_HEADERS)
    for row in members:
        sheet.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def generate(path: Path, *, families: int = 26_000, seed: int = 7, change_share: float = 0.0, error_rate: float = 0.002) -> dict:
    households, members = build(families, seed, change_share=change_share, error_rate=error_rate)
    write(Path(path), households, members)
    return {"families": len(households), "members": len(members), "path": str(path)}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=26_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--change-share", type=float, default=0.0)
    parser.add_argument("--error-rate", type=float, default=0.002)
    parser.add_argument("--out", default=str(ROOT / "var" / "bench" / "p3ke.xlsx"))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    result = generate(Path(args.out), families=args.families, seed=args.seed, change_share=args.change_share, error_rate=args.error_rate)
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(f"{result['families']:,} keluarga, {result['members']:,} anggota -> {result['path']} ({result['seconds']} s)")
    return result


if __name__ == "__main__":
    main()
