"""Programs (the 25 Konut programs and the national aid P3KE reports) and enrollments in them."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from agencies.models import Agency
from households.models import Household, ImportBatch, Member


class Cluster(models.TextChoices):
    """The three strategies of the Bupati's plan (national policy, Inpres 4/2022)."""

    SPENDING = "beban", _("Pengurangan Beban Pengeluaran")
    INCOME = "pendapatan", _("Peningkatan Pendapatan")
    POCKETS = "kantong", _("Penurunan Kantong-Kantong Kemiskinan")


class TargetUnit(models.TextChoices):
    HOUSEHOLD = "household", _("Keluarga")
    PERSON = "person", _("Perorangan")


class FundingSource(models.TextChoices):
    APBN = "apbn", _("APBN")
    APBD_PROV = "apbd_prov", _("APBD Provinsi")
    APBD_KAB = "apbd_kab", _("APBD Kabupaten")
    DANA_DESA = "dana_desa", _("Dana Desa")
    OTHER = "lainnya", _("Lainnya")


class Program(models.Model):
    """An aid program run by one agency. ``is_local`` marks the 25 programs of the Bupati's plan;
    national aid that P3KE reports in its *Penerima ...* columns is a program too (``p3ke_column``
    names the column, e.g. ``pkh``), because it counts for the one-aid rule."""

    code = models.SlugField(_("kode"), max_length=32, unique=True)
    name = models.CharField(_("nama"), max_length=200)
    cluster = models.CharField(_("klaster"), max_length=12, choices=Cluster.choices)
    agency = models.ForeignKey(Agency, verbose_name=_("OPD"), on_delete=models.PROTECT, related_name="programs")
    target_unit = models.CharField(
        _("sasaran"), max_length=10, choices=TargetUnit.choices, default=TargetUnit.HOUSEHOLD
    )
    funding_source = models.CharField(
        _("sumber dana"), max_length=10, choices=FundingSource.choices, default=FundingSource.APBD_KAB
    )
    is_local = models.BooleanField(_("program daerah Konut"), default=True)
    p3ke_column = models.CharField(
        _("kolom Penerima P3KE/DTKS"), max_length=32, blank=True,
        help_text=_("Mis. pkh, bpnt, sembako: kolom 'Penerima ...' yang menjadi kepesertaan program ini."),
    )
    quota = models.PositiveIntegerField(_("kuota per tahun"), null=True, blank=True)
    description = models.TextField(_("keterangan"), blank=True)
    active = models.BooleanField(_("aktif"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("program")
        ordering = ["cluster", "agency__order", "name"]

    def __str__(self) -> str:
        return self.name


class EnrollmentStatus(models.TextChoices):
    PROPOSED = "proposed", _("Diusulkan")
    ACTIVE = "active", _("Aktif")
    COMPLETED = "completed", _("Selesai")
    REJECTED = "rejected", _("Ditolak")
    CANCELLED = "cancelled", _("Dibatalkan")


# Statuses in which an enrollment counts as aid for the one-aid rule.
LIVE_STATUSES = (EnrollmentStatus.PROPOSED, EnrollmentStatus.ACTIVE)


class EnrollmentSource(models.TextChoices):
    MANUAL = "manual", _("Input manual")
    IMPORT = "import", _("Impor daftar penerima")
    P3KE = "p3ke", _("Kolom Penerima P3KE")
    DTKS = "dtks", _("Kolom Bansos DTKS")
    DISTRIBUTION = "distribusi", _("Distribusi Bappeda")


class Enrollment(models.Model):
    """A household (and, for person-targeted programs such as PIP, one member) in a program for a
    year. Proposed and active enrollments are aid for the one-aid rule; the dedup app flags a second
    one as a conflict instead of refusing it."""

    program = models.ForeignKey(Program, verbose_name=_("program"), on_delete=models.PROTECT, related_name="enrollments")
    household = models.ForeignKey(
        Household, verbose_name=_("keluarga"), on_delete=models.PROTECT, related_name="enrollments"
    )
    member = models.ForeignKey(
        Member, verbose_name=_("anggota"), null=True, blank=True, on_delete=models.PROTECT, related_name="enrollments"
    )
    year = models.PositiveSmallIntegerField(_("tahun"))
    status = models.CharField(
        _("status"), max_length=10, choices=EnrollmentStatus.choices, default=EnrollmentStatus.PROPOSED
    )
    amount = models.PositiveBigIntegerField(_("nilai (Rp)"), null=True, blank=True)
    delivered_on = models.DateField(_("tanggal penyaluran"), null=True, blank=True)
    status_reason = models.TextField(_("alasan/catatan"), blank=True)
    source = models.CharField(_("sumber"), max_length=12, choices=EnrollmentSource.choices, default=EnrollmentSource.MANUAL)
    batch = models.ForeignKey(
        ImportBatch, verbose_name=_("batch impor"), null=True, blank=True, on_delete=models.SET_NULL, related_name="enrollments"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("dibuat oleh"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diubah"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("kepesertaan")
        verbose_name_plural = _("kepesertaan")
        ordering = ["-year", "program__name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "year", "household"], condition=Q(member__isnull=True),
                name="programs_enrollment_unique_household_per_year",
                violation_error_message=_("Keluarga ini sudah terdaftar di program ini pada tahun yang sama."),
            ),
            models.UniqueConstraint(
                fields=["program", "year", "member"], condition=Q(member__isnull=False),
                name="programs_enrollment_unique_member_per_year",
                violation_error_message=_("Anggota ini sudah terdaftar di program ini pada tahun yang sama."),
            ),
            models.CheckConstraint(condition=Q(year__gte=2000, year__lte=2100), name="programs_enrollment_year_range"),
        ]
        indexes = [
            # The one-aid check looks up a household's live enrollments in a year.
            models.Index(fields=["household", "year", "status"], name="programs_enr_hh_year_idx"),
            # Agency lists and dashboards count a program's enrollments by year and status.
            models.Index(fields=["program", "year", "status"], name="programs_enr_prog_year_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.program} {self.year}"

    def clean(self):
        super().clean()
        program = self.program if self.program_id else None
        if program is None:
            return
        if program.target_unit == TargetUnit.PERSON and not self.member_id:
            raise ValidationError({"member": _("Program perorangan: pilih anggota keluarga penerima.")})
        if program.target_unit == TargetUnit.HOUSEHOLD and self.member_id:
            raise ValidationError({"member": _("Program keluarga: penerima adalah keluarga, kosongkan anggota.")})
        if self.member_id and self.household_id and self.member.household_id != self.household_id:
            raise ValidationError({"member": _("Anggota ini bukan anggota keluarga yang dipilih.")})
