"""load_reference: Konut's regions, its 14 OPD and the 25 programs exactly as the domain brief says."""

import pytest
from django.core.management import call_command

from agencies.models import Agency
from households.models import Desa, Kecamatan
from programs.models import Cluster, Program

# The Bupati's plan, written out independently of fixtures/programs.csv: (program name, agency, cluster).
BRIEF = [
    ("Program Keluarga Harapan (PKH)", "Dinas Sosial", Cluster.SPENDING),
    ("Program Sembako (BPNT)", "Dinas Sosial", Cluster.SPENDING),
    ("Program Rehabilitasi Sosial", "Dinas Sosial", Cluster.SPENDING),
    ("Program Indonesia Pintar (PIP)", "Dinas Pendidikan dan Kebudayaan", Cluster.SPENDING),
    ("Program Pemberian Beasiswa", "Dinas Pendidikan dan Kebudayaan", Cluster.SPENDING),
    ("Bantuan Langsung Tunai Desa (BLT Desa)", "Dinas Pemberdayaan Masyarakat dan Desa", Cluster.SPENDING),
    ("Bantuan Jaminan Kesehatan", "Dinas Kesehatan", Cluster.SPENDING),
    ("Bantuan Kewirausahaan Sosial", "Dinas Sosial", Cluster.INCOME),
    ("Pelatihan Tenaga Kerja Mandiri", "Dinas Transmigrasi dan Ketenagakerjaan", Cluster.INCOME),
    ("Bantuan Permodalan bagi Pelaku Usaha Terdampak Bencana", "Dinas Koperasi dan UMKM", Cluster.INCOME),
    ("Bantuan Modal Usaha kepada Wirausaha", "Dinas Koperasi dan UMKM", Cluster.INCOME),
    ("Peningkatan Kapasitas Koperasi dan UMKM", "Dinas Koperasi dan UMKM", Cluster.INCOME),
    ("Program Produktif untuk Usaha Mikro", "Dinas Koperasi dan UMKM", Cluster.INCOME),
    ("Bantuan kepada Nelayan dan Pembudidaya", "Dinas Kelautan dan Perikanan", Cluster.INCOME),
    ("Pembenihan Ikan", "Dinas Kelautan dan Perikanan", Cluster.INCOME),
    ("Pendidikan dan Pelatihan (pembinaan, kursus dan pelatihan)", "Dinas Pendidikan dan Kebudayaan", Cluster.INCOME),
    ("Bantuan Pupuk", "Dinas Pertanian", Cluster.INCOME),
    ("Bantuan Bibit", "Dinas Ketahanan Pangan", Cluster.INCOME),
    ("Penumbuhan dan Pengembangan Industri Kecil/Menengah", "Dinas Perindustrian dan Perdagangan", Cluster.INCOME),
    ("Pelatihan Vokasi Industri", "Dinas Perindustrian dan Perdagangan", Cluster.INCOME),
    ("Perhutanan Sosial", "Dinas Lingkungan Hidup", Cluster.INCOME),
    ("Sanitasi Berbasis Masyarakat (Sanimas)", "Dinas Pekerjaan Umum", Cluster.POCKETS),
    ("Sistem Penyediaan Air Minum (SPAM)", "Dinas Pekerjaan Umum", Cluster.POCKETS),
    ("Bantuan Stimulan Perumahan Swadaya (BSPS)", "Dinas Perumahan dan Permukiman", Cluster.POCKETS),
    ("Rehabilitasi Rumah Tidak Layak Huni (RS-Rutilahu)", "Dinas Sosial", Cluster.POCKETS),
]


@pytest.mark.django_db
def test_reference_counts_and_program_agencies(reference):
    assert Kecamatan.objects.count() == 13
    assert Desa.objects.count() == 170
    assert Desa.objects.filter(kind="desa").count() == 159
    assert Desa.objects.filter(kind="kelurahan").count() == 11
    assert Agency.objects.count() == 14
    assert list(Agency.objects.filter(is_coordinator=True).values_list("short_name", flat=True)) == ["Bappeda"]
    local = {p.name: (p.agency.name, p.cluster) for p in Program.objects.filter(is_local=True).select_related("agency")}
    assert len(local) == 25
    assert local == {name: (agency, cluster) for name, agency, cluster in BRIEF}
    assert not Program.objects.filter(agency__is_coordinator=True).exists(), "Bappeda owns no program"
    national = set(Program.objects.filter(is_local=False).values_list("code", flat=True))
    assert national == {"bpum", "bst", "prakerja", "kur", "pbi-jk"}


@pytest.mark.django_db
def test_first_load_reports_the_25_agency_programs_and_the_5_national_ones(capsys):
    call_command("load_reference")
    out = capsys.readouterr().out
    assert "14 OPD, 30 program baru (25 program daerah, 5 program nasional), " in out


@pytest.mark.django_db
def test_load_reference_is_idempotent_and_keeps_local_edits(reference, capsys):
    Program.objects.filter(code="pkh").update(name="PKH Konut")
    Agency.objects.filter(code="dpu").update(short_name="PUPR")
    call_command("load_reference")
    out = capsys.readouterr().out
    assert "0 kecamatan, 0 desa/kelurahan, 0 OPD, 0 program baru" in out
    assert Program.objects.get(code="pkh").name == "PKH Konut"
    assert Agency.objects.get(code="dpu").short_name == "PUPR"
    assert (Kecamatan.objects.count(), Desa.objects.count(), Agency.objects.count(), Program.objects.count()) == (13, 170, 14, 30)


@pytest.mark.django_db
def test_village_found_by_dotless_code_and_names_repeat_across_kecamatan(reference):
    desa = Desa.objects.get(code_plain="7409012006")
    assert desa.code == "74.09.01.2006" and desa.name == "Wanggudu Raya" and desa.kecamatan.name == "Asera"
    # Traps from the brief: the same village name in different kecamatan are different villages.
    assert Desa.objects.filter(name="Tobimeita").values("kecamatan").distinct().count() >= 2
    assert Desa.objects.filter(name="Morombo Pantai").exists() and Desa.objects.filter(name="Marombo Pantai").exists()
