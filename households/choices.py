"""The registry's choice vocabularies: the categorical values of P3KE, DTKS and DTSEN, the relations
and statuses of members, and the kinds and states of an upload. One definition for each list; the
models, importers, filters and exports all read them from here.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from households import wilayah


# --- P3KE categorical values. Labels are the values as P3KE writes them, so that an importer can
# match a raw cell against a label case-insensitively.


class DataSource(models.TextChoices):
    P3KE = "p3ke", _("P3KE")
    DTKS = "dtks", _("DTKS")
    DTSEN = "dtsen", _("DTSEN")
    VERVAL = "verval", _("Verifikasi lapangan (verval)")
    MANUAL = "manual", _("Input manual")


class HouseOwnership(models.TextChoices):
    OWN = "milik_sendiri", _("Milik Sendiri")
    RENT = "kontrak_sewa", _("Kontrak/Sewa")
    FREE = "bebas_sewa", _("Bebas Sewa/Menumpang")
    OFFICIAL = "dinas", _("Dinas")
    OTHER = "lainnya", _("Lainnya")


class RoofType(models.TextChoices):
    CONCRETE = "beton", _("Beton")
    TILE = "genteng", _("Genteng")
    ASBESTOS_ZINC = "asbes_seng", _("Asbes/Seng")
    WOOD = "kayu_sirap", _("Kayu/Sirap")
    BAMBOO = "bambu", _("Bambu")
    THATCH = "jerami", _("Jerami/Ijuk/Rumbia/ Daun-daunan")
    OTHER = "lainnya", _("Lainnya")


class WallType(models.TextChoices):
    BRICK = "tembok", _("Tembok")
    WOOD = "kayu_papan", _("Kayu/Papan")
    ZINC = "seng", _("Seng")
    BAMBOO = "bambu", _("Bambu")
    OTHER = "lainnya", _("Lainnya")


class FloorType(models.TextChoices):
    CERAMIC = "keramik", _("Keramik/Granit/Marmer/Ubin/Tegel/Teraso")
    CEMENT = "semen", _("Semen")
    WOOD = "kayu_papan", _("Kayu/Papan")
    BAMBOO = "bambu", _("Bambu")
    EARTH = "tanah", _("Tanah")
    OTHER = "lainnya", _("Lainnya")


class Quality(models.TextChoices):
    GOOD = "bagus", _("Bagus/Kualitas Tinggi")
    POOR = "jelek", _("Jelek/Kualitas Rendah")
    EMPTY = "kosong", _("Kosong")


class ElectricityPower(models.TextChoices):
    # P3KE 2023 writes these exact texts; the code is the text, so the stored value is what came.
    UP_TO_900 = "=< 900 WATT", _("=< 900 WATT")
    OVER_900 = "> 900 WATT", _("> 900 WATT")


class Lighting(models.TextChoices):
    PLN_METER = "pln_meteran", _("Listrik PLN meteran")
    PLN_NO_METER = "pln_non_meteran", _("Listrik PLN non meteran")
    NON_PLN = "non_pln", _("Listrik non-PLN")
    NONE = "bukan_listrik", _("Bukan listrik")


class CookingFuel(models.TextChoices):
    ELECTRIC_GAS = "listrik_gas", _("Listrik/Gas")
    KEROSENE = "minyak_tanah", _("Minyak Tanah")
    CHARCOAL_WOOD = "arang_kayu", _("Arang/Kayu")
    OTHER = "lainnya", _("Lainnya")


class WaterSource(models.TextChoices):
    BOTTLED = "kemasan", _("Air Kemasan/Isi Ulang")
    PIPED = "ledeng", _("Ledeng/PAM")
    BOREHOLE = "sumur_bor", _("Sumur Bor")
    PROTECTED_WELL = "sumur_terlindung", _("Sumur Terlindung")
    UNPROTECTED_WELL = "sumur_tidak_terlindung", _("Sumur Tidak Terlindung")
    SURFACE = "air_permukaan", _("Air Permukaan (Sungai, Danau, dll)")
    RAIN = "air_hujan", _("Air Hujan")
    OTHER = "lainnya", _("Lainnya")


# Water sources that do not count as safe drinking water (the SPAM target and the stunting driver).
UNSAFE_WATER_SOURCES = (
    WaterSource.UNPROTECTED_WELL,
    WaterSource.SURFACE,
    WaterSource.RAIN,
    WaterSource.OTHER,
)


class Toilet(models.TextChoices):
    # Same Indonesian label as HouseOwnership.OWN; the context lets English read "Own toilet" here.
    OWN = "milik_sendiri", pgettext_lazy("toilet", "Milik Sendiri")
    SHARED = "umum_bersama", _("Umum/Bersama")
    OTHER = "lainnya", _("Lainnya")
    EMPTY = "kosong", _("Kosong")


class StuntingRisk(models.TextChoices):
    AT_RISK = "beresiko", _("Beresiko Stunting")
    NOT_AT_RISK = "tidak_beresiko", _("Tidak Beresiko Stunting")
    NOT_TARGET = "bukan_sasaran", _("Bukan Target Sasaran")


class AbsentReason(models.TextChoices):
    """Why a family is absent, when an approved field verification found it so (blank: the newest
    data no longer holds it). A head found dead with no one left is read from the head member
    (``households.models.family_head``), not kept here. Labels are the pages' badges."""
    MOVED = "pindah", _("pindah (verval)")
    NOT_FOUND = "tidak_ditemukan", _("tidak ditemukan (verval)")


class VervalPriority(models.TextChoices):
    NORMAL = "normal", _("Normal")
    DUPLICATE = "duplikat", _("Keluarga Duplikat (NIK & Nama)")
    NIK_EMPTY = "nik_kosong", _("Keluarga NIK Kosong")
    NO_ADULT = "tanpa_usia_17", _("Keluarga Tidak Ada Usia 17+ Tahun")


class Sex(models.TextChoices):
    MALE = "L", _("Laki-laki")
    FEMALE = "P", _("Perempuan")


class Relation(models.TextChoices):
    HEAD = "kepala", _("Kepala Keluarga")
    SPOUSE = "pasangan", _("Istri/Suami")
    CHILD = "anak", _("Anak")
    OTHER = "lainnya", _("Lainnya")


# Members in family-card order: head, spouse, children, others. The stored relation codes sort
# alphabetically, which would put children before the head.
FAMILY_CARD_ORDER = models.Case(
    *(models.When(relation=relation, then=models.Value(rank)) for rank, relation in enumerate(Relation)),
    default=models.Value(len(Relation)),
)


class MaritalStatus(models.TextChoices):
    SINGLE = "belum_kawin", _("Belum Kawin")
    MARRIED = "kawin", _("Kawin")
    DIVORCED = "cerai_hidup", _("Cerai Hidup")
    WIDOWED = "cerai_mati", _("Cerai Mati")


class Occupation(models.TextChoices):
    FISHER = "nelayan", _("Nelayan")
    TRADER = "pedagang", _("Pedagang")
    PRIVATE = "pegawai_swasta", _("Pegawai Swasta")
    OFFICIAL = "pejabat_negara", _("Pejabat Negara")
    FREELANCE = "pekerja_lepas", _("Pekerja Lepas")
    RETIRED = "pensiunan", _("Pensiunan")
    FARMER = "petani", _("Petani")
    CIVIL_SERVANT = "pns_tni_polri", _("PNS/TNI/Polri")
    NONE = "tidak_bekerja", _("Tidak/Belum Bekerja")
    SELF_EMPLOYED = "wiraswasta", _("Wiraswasta")


class WorkStatus(models.TextChoices):
    OWN_ACCOUNT = "berusaha_sendiri", _("Berusaha Sendiri")
    TEMPORARY_HELP = "dibantu_tidak_tetap", _("Berusaha Dibantu Buruh Tidak Tetap/Buruh Tidak Dibayar")
    PERMANENT_HELP = "dibantu_tetap", _("Berusaha Dibantu Buruh Tetap/Dibayar")
    EMPLOYEE = "buruh_karyawan", _("Buruh/Karyawan/Pegawai")
    CASUAL = "pekerja_bebas", _("Pekerja Bebas")
    FAMILY = "pekerja_keluarga", _("Pekerja Keluarga/Tidak Dibayar")


class Education(models.TextChoices):
    NONE = "tidak_sekolah", _("Tidak/Belum Sekolah")
    SD_DROPOUT = "tidak_tamat_sd", _("Tdk Tamat SD/Sederajat")
    IN_SD = "masih_sd", _("Masih SD/Sederajat")
    SD = "tamat_sd", _("Tamat SD/Sederajat")
    IN_SLTP = "masih_sltp", _("Masih SLTP/Sederajat")
    SLTP = "tamat_sltp", _("Tamat SLTP/Sederajat")
    IN_SLTA = "masih_slta", _("Masih SLTA/Sederajat")
    SLTA = "tamat_slta", _("Tamat SLTA/Sederajat")
    IN_PT = "masih_pt", _("Masih PT/Akademi")
    PT = "tamat_pt", _("Tamat PT/Akademi")


class DukcapilMatch(models.TextChoices):
    MATCHED = "padan", _("Padan")
    NOT_MATCHED = "tidak_padan", _("Tidak Padan")
    EMPTY = "kosong", _("Kosong")


class ImportKind(models.TextChoices):
    P3KE = "p3ke", _("P3KE")
    DTKS = "dtks", _("DTKS")
    DTSEN = "dtsen", _("DTSEN")
    RECIPIENTS = "recipients", _("Daftar penerima OPD")


class ImportLayout(models.TextChoices):
    """The kinds of table whose columns are mapped (a P3KE file has two)."""

    P3KE_HOUSEHOLD = "keluarga", _("P3KE, lembar keluarga")
    P3KE_INDIVIDUAL = "individu", _("P3KE, lembar individu")
    DTKS = "dtks", _("DTKS")
    DTSEN = "dtsen", _("DTSEN")
    RECIPIENTS = "recipients", _("Daftar penerima OPD")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Menunggu")
    VALIDATING = "validating", _("Memeriksa")
    PREVIEWED = "previewed", _("Pratinjau siap")
    QUEUED = "queued", _("Dalam antrean")
    RUNNING = "running", _("Sedang diimpor")
    APPLIED = "applied", _("Selesai diimpor")
    REFUSED = "refused", _("Ditolak karena ada kesalahan")
    FAILED = "failed", _("Gagal")
    CANCELLED = "cancelled", _("Dibatalkan")


# --- Who heads the area the registry covers (``KONUT_WILAYAH``): the leadership that approves verval.


class HeadTitle(models.TextChoices):
    """The title of the head of a province, a kabupaten or a kota (``wilayah.head_title``)."""

    GOVERNOR = "Gubernur", _("Gubernur")
    REGENT = "Bupati", _("Bupati")
    MAYOR = "Wali Kota", _("Wali Kota")
    # KONUT_WILAYAH names no region the Kemendagri list knows.
    HEAD = "Kepala daerah", _("Kepala daerah")


def area_head() -> HeadTitle:
    """The head of the area ``KONUT_WILAYAH`` names: ``area_head().label`` is the title in the active
    language (Bupati of a kabupaten, Wali Kota of a kota, Gubernur of a province), for every text that
    names who approves. Read from the package data, not the database."""
    try:
        return HeadTitle(wilayah.head_title(settings.KONUT_WILAYAH))
    except wilayah.RegionCodeError:
        return HeadTitle.HEAD
