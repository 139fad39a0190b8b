"""Agencies (OPD: organisasi perangkat daerah) and the people who log in for them."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Agency(models.Model):
    """An OPD: an implementing dinas (the seed holds Konut's 13), or Bappeda, the coordinator that owns no program."""

    code = models.SlugField(_("kode"), max_length=32, unique=True)
    name = models.CharField(_("nama lengkap"), max_length=200)
    short_name = models.CharField(_("nama singkat"), max_length=60)
    is_coordinator = models.BooleanField(
        _("koordinator"), default=False, help_text=_("Bappeda: mengoordinasikan, tidak memiliki program.")
    )
    order = models.PositiveSmallIntegerField(_("urutan"), default=0)

    class Meta:
        verbose_name = _("OPD")
        verbose_name_plural = pgettext_lazy("plural", "OPD")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.short_name or self.name


class Role(models.TextChoices):
    BAPPEDA_OPERATOR = "bappeda_operator", _("Operator Bappeda")
    AGENCY_HEAD = "agency_head", _("Kepala Dinas")
    AGENCY_OPERATOR = "agency_operator", _("Operator Dinas")
    LEADERSHIP = "leadership", _("Pimpinan (hanya baca)")
    # A field officer of an agency (usually a PKH facilitator of Dinas Sosial): sees and records
    # only the verification cases assigned to them.
    FIELD_OFFICER = "field_officer", _("Petugas verval (pendamping lapangan)")


class User(AbstractUser):
    """A login. Every non-superuser belongs to an agency with a role; the role decides what they see."""

    agency = models.ForeignKey(
        Agency, verbose_name=_("OPD"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    role = models.CharField(_("peran"), max_length=32, choices=Role.choices, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("pengguna")
        verbose_name_plural = pgettext_lazy("plural", "pengguna")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role__in=[Role.AGENCY_HEAD, Role.AGENCY_OPERATOR, Role.FIELD_OFFICER]) | Q(agency__isnull=False),
                name="agencies_user_agency_role_has_agency",
                violation_error_message=_("Kepala Dinas, Operator Dinas dan petugas verval harus memiliki OPD."),
            ),
        ]

    @property
    def is_bappeda(self) -> bool:
        return self.is_superuser or self.role == Role.BAPPEDA_OPERATOR

    @property
    def is_leadership(self) -> bool:
        return self.role == Role.LEADERSHIP

    @property
    def is_agency_user(self) -> bool:
        return self.role in (Role.AGENCY_HEAD, Role.AGENCY_OPERATOR)

    @property
    def can_see_full_nik(self) -> bool:
        """Full NIK/KK only for those who verify people in the field or correct the data."""
        return self.is_superuser or self.role in (Role.BAPPEDA_OPERATOR, Role.AGENCY_HEAD, Role.FIELD_OFFICER)

    @property
    def is_field_officer(self) -> bool:
        return self.role == Role.FIELD_OFFICER and self.agency_id is not None

    @property
    def can_write(self) -> bool:
        return self.is_superuser or self.role in (Role.BAPPEDA_OPERATOR, Role.AGENCY_HEAD, Role.AGENCY_OPERATOR)


class ExportKind(models.TextChoices):
    """What an export log row records leaving the building: the code is what the log stores, the
    label what the admin's list and filter show. ``agencies.services.export_log_create`` takes no
    other kind, so every file or print that is logged has a name people read."""

    HOUSEHOLD_LIST_XLSX = "daftar_keluarga_xlsx", _("Daftar keluarga (Excel)")
    HOUSEHOLD_LIST_PRINT = "daftar_keluarga_cetak", _("Daftar keluarga (cetak)")
    IMPORT_ERROR_REPORT = "laporan_kesalahan_impor", _("Laporan kesalahan impor (Excel)")
    VERVAL_FIELD_LIST = "verval_daftar_petugas_xlsx", _("Daftar kunjungan petugas verval (Excel)")
    VERVAL_FIELD_LIST_PRINT = "verval_daftar_petugas_cetak", _("Daftar kunjungan petugas verval (cetak)")
    VERVAL_PROPOSAL = "verval_usulan_xlsx", _("Usulan verval dengan NIK dan No KK (Excel)")
    ADMIN_EXPORT = "ekspor_admin", _("Ekspor dari halaman admin (Excel/CSV)")


EXPORT_KIND_LABELS = dict(ExportKind.choices)


class ExportLog(models.Model):
    """Who exported which list of people, when: exports carry ID numbers out of the building."""

    user = models.ForeignKey(User, verbose_name=_("pengguna"), on_delete=models.PROTECT, related_name="exports")
    created_at = models.DateTimeField(_("waktu"), auto_now_add=True)
    kind = models.CharField(_("jenis"), max_length=64)
    agency = models.ForeignKey(Agency, verbose_name=_("OPD"), null=True, blank=True, on_delete=models.SET_NULL)
    filters = models.JSONField(_("filter"), default=dict, blank=True)
    row_count = models.PositiveIntegerField(_("jumlah baris"), default=0)

    class Meta:
        verbose_name = _("log ekspor")
        verbose_name_plural = pgettext_lazy("plural", "log ekspor")
        ordering = ["-created_at"]

    @property
    def kind_label(self) -> str:
        return str(EXPORT_KIND_LABELS.get(self.kind, self.kind))

    def __str__(self) -> str:
        return f"{self.user} {self.kind_label} {self.created_at:%d/%m/%Y %H:%M}"


class IdentifierSearch(models.Model):
    """A full NIK or No KK searched by someone who sees them masked, kept to limit how many distinct
    numbers one person may try in an hour (``IDENTIFIER_SEARCH_LIMIT``): searched number by number,
    the list would confirm who is in the registry. Only a keyed digest of the number is kept."""

    user = models.ForeignKey(User, verbose_name=_("pengguna"), on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(_("sidik"), max_length=64)
    searched_at = models.DateTimeField(_("waktu"), default=timezone.now)

    class Meta:
        verbose_name = _("pencarian NIK/No KK")
        verbose_name_plural = pgettext_lazy("plural", "pencarian NIK/No KK")
        indexes = [models.Index(fields=["user", "searched_at"], name="identifier_search_user_at")]

    def __str__(self) -> str:
        return f"{self.user} {self.searched_at:%d/%m/%Y %H:%M}"
