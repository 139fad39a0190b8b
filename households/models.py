"""The registry: the regions it covers, the families (households) and their members.

Domain words stay Indonesian where users say them: *provinsi* (province), *kabupaten* (regency; a
*kota* is a city at the same level), *kecamatan* (district), *desa*/*kelurahan* (village; a
kelurahan is an urban village), *desil* (welfare decile, 1 = poorest), *NIK*
(16-digit national ID), *No KK* (16-digit family-card number), *P3KE* and *DTKS* (the two central
poverty registers Bappeda uploads).
"""

from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Trim
from django.db.models.lookups import Exact
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

# The vocabularies are part of the models' API: households.models.Sex and the others stay importable.
from households.choices import (  # noqa: F401
    FAMILY_CARD_ORDER,
    UNSAFE_WATER_SOURCES,
    AbsentReason,
    DataSource,
    HouseOwnership,
    RoofType,
    WallType,
    FloorType,
    Quality,
    Lighting,
    CookingFuel,
    WaterSource,
    Toilet,
    StuntingRisk,
    VervalPriority,
    Sex,
    Relation,
    MaritalStatus,
    Occupation,
    Education,
    DukcapilMatch,
    ElectricityPower,
    WorkStatus,
    ImportKind,
    ImportLayout,
    ImportStatus,
)
from households.validators import check_birth_date, check_identifiers, check_neighbourhood
from konut_registry.db import identity_records_locked


def run_checks(instance, *checks) -> None:
    """Run each ``(check, field names)`` of a form's values and raise their errors together, so that
    a form shows every refused field at once."""
    errors = {}
    for check, names in checks:
        try:
            check(instance, *names)
        except ValidationError as error:
            errors.update(error.error_dict)
    if errors:
        raise ValidationError(errors)


class Provinsi(models.Model):
    """A province, keyed by its Kemendagri code (``74``); ``name`` without the word Provinsi."""

    code = models.CharField(_("kode Kemendagri"), max_length=2, unique=True)
    name = models.CharField(_("nama"), max_length=100)

    class Meta:
        verbose_name = _("provinsi")
        verbose_name_plural = pgettext_lazy("plural", "provinsi")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Kabupaten(models.Model):
    """A regency or a city, keyed by its Kemendagri code (``74.09``). ``name`` says which, as
    Kemendagri writes it (``Kabupaten Konawe Utara``, ``Kota Kendari``). The registry covers one
    regency, or every regency of a province (``KONUT_WILAYAH``)."""

    code = models.CharField(_("kode Kemendagri"), max_length=5, unique=True)
    name = models.CharField(_("nama"), max_length=100)
    provinsi = models.ForeignKey(
        Provinsi, verbose_name=_("provinsi"), on_delete=models.PROTECT, related_name="kabupaten_set"
    )

    class Meta:
        verbose_name = _("kabupaten/kota")
        verbose_name_plural = pgettext_lazy("plural", "kabupaten/kota")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Kecamatan(models.Model):
    """A district of a regency, keyed by its Kemendagri code (``74.09.01``). ``bps_code`` is the
    district's code at BPS, which numbers regions differently (Konawe Utara is 7410 there)."""

    code = models.CharField(_("kode Kemendagri"), max_length=8, unique=True)
    name = models.CharField(_("nama"), max_length=100)
    kabupaten = models.ForeignKey(
        Kabupaten, verbose_name=_("kabupaten/kota"), on_delete=models.PROTECT, related_name="kecamatan_set"
    )
    bps_code = models.CharField(_("kode BPS"), max_length=7, blank=True)
    # As ``Desa.reference_code``: the code the Kemendagri list gave the district, kept when Bappeda
    # corrects ``code``, by which loading the list again recognises it. Blank for one added locally.
    reference_code = models.CharField(_("kode dari daftar Kemendagri"), max_length=8, blank=True, editable=False)

    class Meta:
        verbose_name = _("kecamatan")
        verbose_name_plural = pgettext_lazy("plural", "kecamatan")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.kabupaten_id and not self.code.startswith(f"{self.kabupaten.code}."):
            raise ValidationError({"code": _("Kode kecamatan harus diawali kode kabupaten/kotanya (%(code)s).")
                                   % {"code": self.kabupaten.code}})


class DesaKind(models.TextChoices):
    DESA = "desa", _("Desa")
    KELURAHAN = "kelurahan", _("Kelurahan")


class Desa(models.Model):
    """A village (desa or kelurahan). ``code`` is dotted (``74.09.01.2006``); ``code_plain`` is the
    dotless form P3KE writes in its *Kode Kemdagri* column (``7409012006``). Names repeat across
    kecamatan, and a few times within one (Wakumoro in Parigi, Muna, is a kelurahan and a desa), so
    a village is found by code, or by (kecamatan, name) when that pair is unique."""

    code = models.CharField(_("kode Kemendagri"), max_length=13, unique=True)
    code_plain = models.CharField(_("kode tanpa titik"), max_length=10, unique=True, editable=False)
    name = models.CharField(_("nama"), max_length=100)
    kind = models.CharField(_("jenis"), max_length=10, choices=DesaKind.choices)
    kecamatan = models.ForeignKey(
        Kecamatan, verbose_name=_("kecamatan"), on_delete=models.PROTECT, related_name="desa_set"
    )
    # The code the Kemendagri list gave the village when it was loaded, kept when Bappeda corrects
    # ``code``: loading the list again recognises the village by it (``regions.regions_load``).
    # Blank for a village added locally.
    reference_code = models.CharField(_("kode dari daftar Kemendagri"), max_length=13, blank=True, editable=False)

    class Meta:
        verbose_name = _("desa/kelurahan")
        verbose_name_plural = pgettext_lazy("plural", "desa/kelurahan")
        ordering = ["code"]

    def __str__(self) -> str:
        # The code disambiguates names that repeat across kecamatan (Tobimeita, Bandaeha, Mataiwoi).
        return f"{self.name} ({self.code})"

    def clean(self):
        if self.kecamatan_id and not self.code.startswith(f"{self.kecamatan.code}."):
            raise ValidationError({"code": _("Kode desa/kelurahan harus diawali kode kecamatannya (%(code)s).")
                                   % {"code": self.kecamatan.code}})

    def save(self, *args, **kwargs):
        self.code_plain = self.code.replace(".", "")
        super().save(*args, **kwargs)


class ImportBatch(models.Model):
    """One upload of a central-data file or an agency's recipient list, from preview to result.

    It keeps the stored original, its hash (the same file twice is recognised), who and when, the
    counts and the error report; every household, member and enrollment it writes points back to it.
    """

    kind = models.CharField(_("jenis"), max_length=16, choices=ImportKind.choices)
    status = models.CharField(_("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("diunggah oleh"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="import_batches",
    )
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    started_at = models.DateTimeField(_("mulai"), null=True, blank=True)
    # The worker's lease, renewed by its progress reports (households/imports/lease.py).
    heartbeat_at = models.DateTimeField(_("tanda hidup terakhir"), null=True, blank=True)
    finished_at = models.DateTimeField(_("selesai"), null=True, blank=True)
    file = models.FileField(_("berkas"), upload_to="imports/%Y/%m/", max_length=255, blank=True)
    extra_files = models.JSONField(_("berkas tambahan"), default=list, blank=True)
    original_name = models.CharField(_("nama berkas asli"), max_length=255, blank=True)
    sha256 = models.CharField(_("hash SHA-256"), max_length=64, blank=True, db_index=True)
    options = models.JSONField(
        _("pilihan"), default=dict, blank=True,
        help_text=_("Mis. program dan tahun untuk daftar penerima, impor baris valid saja."),
    )
    skip_invalid = models.BooleanField(_("impor baris valid saja"), default=False)
    full_extract = models.BooleanField(
        _("ekstrak lengkap"), default=True,
        help_text=_("Keluarga yang tidak ada di ekstrak lengkap ditandai tidak ada di data terbaru."),
    )
    data_year = models.PositiveSmallIntegerField(_("tahun data"), null=True, blank=True)
    total_rows = models.PositiveIntegerField(_("jumlah baris"), default=0)
    processed_rows = models.PositiveIntegerField(_("baris diproses"), default=0)
    counts = models.JSONField(_("ringkasan"), default=dict, blank=True)
    errors = models.JSONField(_("kesalahan"), default=list, blank=True)
    warnings = models.JSONField(_("peringatan"), default=list, blank=True)
    message = models.TextField(_("pesan"), blank=True)
    # The downloadable error report: the refused rows as uploaded, plus the reasons.
    error_report = models.FileField(_("laporan kesalahan"), upload_to="imports/reports/%Y/%m/", max_length=255, blank=True)

    class Meta:
        verbose_name = _("batch impor")
        verbose_name_plural = pgettext_lazy("plural", "batch impor")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.original_name}"

    @property
    def progress_percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status == ImportStatus.APPLIED else 0
        return min(100, round(100 * self.processed_rows / self.total_rows))


class RecordsQuerySet(models.QuerySet):
    """Households and members deleted in bulk (the admin's "delete selected") wait for an identity
    scan that is recording matches (``identity_records_locked``)."""

    def delete(self):
        with identity_records_locked(self.db):
            return super().delete()


class RecordDeletion:
    """A household or member deleted on its own waits for an identity scan that is recording
    matches (``identity_records_locked``), before Django collects the matches that go with it."""

    def delete(self, *args, **kwargs):
        with identity_records_locked():
            return super().delete(*args, **kwargs)


# The living conditions a field officer observes: the housing and utility variables of the ranking.
# One source and date describe them all (``Household.conditions_source``): an import keeps or
# takes them together (``households.imports.compare``).
LIVING_CONDITION_FIELDS = (
    "house_ownership", "roof_type", "roof_quality", "wall_type", "wall_quality", "floor_type", "floor_quality",
    "lighting", "cooking_fuel", "water_source", "toilet",
)


class Household(RecordDeletion, models.Model):
    """One family (keluarga), as the central registers describe it, placed in a village.

    ``p3ke_id`` is P3KE's own family ID, not the KK number. A household that a newer full extract no
    longer contains is kept and marked ``is_absent``; nothing is ever deleted by an import. Raw source
    values that matched no known choice are kept in ``raw_values`` under the field's name.
    """

    # Unique by a constraint (below), not ``unique=True``: on PostgreSQL that would add a second,
    # LIKE-prefix index (varchar_pattern_ops) that no query reads and every import writes.
    p3ke_id = models.CharField(_("ID Keluarga P3KE"), max_length=32, null=True, blank=True)
    # Indexed below, by one index each that serves both the exact and the prefix lookups.
    no_kk = models.CharField(_("No KK"), max_length=16, blank=True)
    head_name = models.CharField(_("nama kepala keluarga"), max_length=150)
    head_nik = models.CharField(_("NIK kepala keluarga"), max_length=16, blank=True)
    address = models.CharField(_("alamat"), max_length=255, blank=True)
    dusun = models.CharField(_("dusun"), max_length=100, blank=True)
    rt = models.CharField(_("RT"), max_length=5, blank=True)
    rw = models.CharField(_("RW"), max_length=5, blank=True)
    # No index of its own: the (desa, desil) index below starts with it.
    desa = models.ForeignKey(
        Desa, verbose_name=_("desa/kelurahan"), on_delete=models.PROTECT, related_name="households", db_index=False
    )
    desil = models.PositiveSmallIntegerField(
        _("desil"), null=True, blank=True, help_text=_("1 = paling miskin; P3KE memakai 1-4, DTSEN 1-10")
    )
    # Where the desil came from and as of when: DTSEN re-ranks every quarter, and eligibility (PKH
    # desil 1-4, Sembako and PBI-JK desil 1-5) follows the newest ranking.
    desil_source = models.CharField(_("sumber desil"), max_length=10, choices=DataSource.choices, blank=True)
    desil_date = models.DateField(_("tanggal desil"), null=True, blank=True)
    # The desil at which an approved field verification (verval) found the family eligible for the
    # aid that desil is above the limit of: while the desil stays the same, the family is not an
    # inclusion candidate again; new data that changes the desil makes it one.
    verval_eligible_desil = models.PositiveSmallIntegerField(
        _("desil saat verval menyatakan layak"), null=True, blank=True, editable=False
    )
    persentil = models.PositiveSmallIntegerField(_("persentil"), null=True, blank=True)
    source = models.CharField(_("sumber data"), max_length=10, choices=DataSource.choices, default=DataSource.MANUAL)
    source_year = models.PositiveSmallIntegerField(_("tahun data"), null=True, blank=True)
    updated_year = models.PositiveSmallIntegerField(_("dimutakhirkan tahun"), null=True, blank=True)
    verval_priority = models.CharField(_("prioritas verval"), max_length=16, choices=VervalPriority.choices, blank=True)

    house_ownership = models.CharField(_("kepemilikan rumah"), max_length=16, choices=HouseOwnership.choices, blank=True)
    roof_type = models.CharField(_("jenis atap"), max_length=16, choices=RoofType.choices, blank=True)
    roof_quality = models.CharField(_("kualitas atap"), max_length=8, choices=Quality.choices, blank=True)
    wall_type = models.CharField(_("jenis dinding"), max_length=16, choices=WallType.choices, blank=True)
    wall_quality = models.CharField(_("kualitas dinding"), max_length=8, choices=Quality.choices, blank=True)
    floor_type = models.CharField(_("jenis lantai"), max_length=16, choices=FloorType.choices, blank=True)
    floor_quality = models.CharField(_("kualitas lantai"), max_length=8, choices=Quality.choices, blank=True)
    lighting = models.CharField(_("sumber penerangan"), max_length=16, choices=Lighting.choices, blank=True)
    electricity_power = models.CharField(
        _("daya listrik terpasang"), max_length=32, choices=ElectricityPower.choices, blank=True
    )
    cooking_fuel = models.CharField(_("bahan bakar memasak"), max_length=16, choices=CookingFuel.choices, blank=True)
    water_source = models.CharField(_("sumber air minum"), max_length=24, choices=WaterSource.choices, blank=True)
    toilet = models.CharField(_("fasilitas BAB"), max_length=16, choices=Toilet.choices, blank=True)
    has_savings = models.BooleanField(_("memiliki simpanan"), null=True, blank=True)
    stunting_risk = models.CharField(_("risiko stunting"), max_length=16, choices=StuntingRisk.choices, blank=True)
    # Who last observed the living conditions and when, once a field verification corrected them.
    conditions_source = models.CharField(
        _("sumber kondisi tempat tinggal"), max_length=10, choices=DataSource.choices, blank=True
    )
    conditions_date = models.DateField(_("tanggal kondisi tempat tinggal"), null=True, blank=True)
    raw_values = models.JSONField(_("nilai asli tak dikenal"), default=dict, blank=True)
    # What the central source said last time, per field (set by imports): a stored value that
    # differs from it was corrected here, and a re-sync keeps it.
    source_values = models.JSONField(_("nilai terakhir dari sumber"), default=dict, blank=True, editable=False)
    # The hash of the file row the last import read this record from, with the layout it was read
    # in (``households.imports.rowhash``): a re-sync skips a row whose hash is unchanged. Imports
    # set it; a local edit leaves it (a correction is not source data and the merge keeps it).
    source_row_hash = models.BigIntegerField(_("hash baris sumber"), null=True, blank=True, editable=False)

    is_absent = models.BooleanField(
        _("tidak ada di data terbaru"), default=False,
        help_text=_("Tidak ada di ekstrak lengkap terakhir; tidak dihapus."),
    )
    # Why it is absent, when an approved verval found it moved away or did not find it
    # (``dedup.membership.household_mark_absent``); blank for a present family (every write
    # that brings one back clears it, the database refuses otherwise), so that a family the data
    # leaves out again later is not said to have moved.
    absent_reason = models.CharField(
        _("alasan tidak ada"), max_length=16, choices=AbsentReason.choices, blank=True, default="", editable=False,
    )
    # Not indexed: nothing reads the records of a batch (no reverse relation), and a batch is never
    # deleted (the admin refuses); the index was written on every record an import wrote.
    # No database constraint either: a bookkeeping pointer, not part of the record. Its check ran
    # once per record an import wrote, at commit (at 26,000 families, a third of the commit's checks
    # re-found the one batch row); the import sets it to the batch it runs in, which exists and is
    # never deleted, and should one be deleted through the ORM, ``on_delete`` still clears it.
    last_batch = models.ForeignKey(
        ImportBatch, verbose_name=_("batch impor terakhir"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", db_index=False, db_constraint=False,
    )
    merged_into = models.ForeignKey(  # indexed below, without the (nearly all) empty rows
        "self", verbose_name=_("digabung ke"), null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from",
        db_index=False,
    )
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diubah"), auto_now=True)
    # The history is read by record (``id``) and date only: the other indexes a history table would
    # copy from the record's (its identifiers and foreign keys, each with its LIKE twin) were written
    # on every one of an import's tens of thousands of history rows and never read. Its user (who
    # made the change) is, like ``last_batch``, a pointer the database does not check row by row: an
    # import by a user re-checked that one user once per history row at commit (0.4 s of a 26,000-
    # family import's); the service sets it to the user at work, and deleting a user through the
    # ORM still clears it (SET_NULL).
    objects = RecordsQuerySet.as_manager()
    history = HistoricalRecords(
        excluded_fields=["updated_at", "source_values", "source_row_hash"],
        no_db_index=["p3ke_id", "no_kk", "head_nik", "desa", "last_batch", "merged_into"], user_db_constraint=False,
    )

    class Meta:
        verbose_name = _("keluarga")
        verbose_name_plural = pgettext_lazy("plural", "keluarga")
        ordering = ["desa__code", "head_name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(desil__isnull=True) | Q(desil__gte=1, desil__lte=10), name="households_household_desil_1_10",
                violation_error_message=_("Desil harus 1 sampai 10."),
            ),
            models.CheckConstraint(
                condition=Q(persentil__isnull=True) | Q(persentil__lte=100), name="households_household_persentil_0_100",
                violation_error_message=_("Persentil harus 0 sampai 100."),
            ),
            models.CheckConstraint(
                condition=Q(is_absent=True) | Q(absent_reason=""), name="households_household_absent_reason_if_absent",
                violation_error_message=_("Alasan tidak ada hanya untuk keluarga yang tidak ada di data terbaru."),
            ),
            models.UniqueConstraint(fields=["p3ke_id"], name="households_household_p3ke_id_key"),
        ]
        indexes = [
            # The identifiers, looked up exactly (the import, the admin, the identity scan) and by prefix
            # (the agency list's search by a run of digits): on PostgreSQL one LIKE-prefix index
            # (varchar_pattern_ops) serves both, ``=`` and ``IN`` included. ``db_index=True`` made a
            # plain index and that twin, two indexes every import wrote on every household and member.
            models.Index(fields=["no_kk"], name="households_hh_no_kk_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["head_nik"], name="households_hh_head_nik_idx", opclasses=["varchar_pattern_ops"]),
            # Lists and dashboards filter by village and decile, poorest first.
            models.Index(fields=["desa", "desil"], name="households_hh_desa_desil_idx"),
            models.Index(fields=["desil", "id"], name="households_hh_desil_idx"),
            # The agency list's decile sorts (poorest first, richest first), read page by page in order.
            models.Index(fields=["desil", "head_name", "id"], name="households_hh_desil_name_idx"),
            models.Index(fields=["-desil", "head_name", "id"], name="households_hh_desil_desc_idx"),
            # The families merged into one (and the foreign key's own lookups): a handful of rows.
            models.Index(fields=["merged_into"], name="households_hh_merged_into_idx", condition=Q(merged_into__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.head_name

    def clean(self) -> None:
        run_checks(self, (check_identifiers, ("head_nik", "no_kk")), (check_neighbourhood, ("rt", "rw")))

    @property
    def several_heads(self) -> list[str]:
        """The names of the present members recorded as head, when there are more than one (a file
        gave the family two heads: both are kept with that relation, the import warned; the pages
        say so); else empty. Reads the prefetched members when there are."""
        heads = [m.name for m in self.members.all() if m.relation == Relation.HEAD and not m.is_absent]
        return heads if len(heads) > 1 else []

    @property
    def desil_correction(self) -> tuple[int, str] | None:
        """``(desil, source label)`` the data last gave when the stored desil differs from it: the
        desil is a local correction (typed here, or kept by an import that said otherwise), which
        the family's page says. None when the data gave no desil or the same one."""
        given = (self.source_values or {}).get("desil")
        if given is None or given == self.desil:
            return None
        source = (self.source_values or {}).get("desil_source")
        return given, DataSource(source).label if source in DataSource.values else ""


def kept_households(household_ids: Iterable[int]) -> dict[int, int]:
    """Each household to the record that stands for it now: itself, or the family it was merged
    into, followed through later merges. One query per step of the longest chain."""
    household_ids = set(household_ids)
    merged_into: dict[int, int] = {}
    ask = set(household_ids)
    while ask:
        step = dict(Household.objects.filter(pk__in=ask, merged_into__isnull=False).values_list("pk", "merged_into_id"))
        merged_into.update(step)
        ask = set(step.values()) - merged_into.keys()
    kept = {}
    for pk in household_ids:
        last = pk
        seen = {pk}
        while last in merged_into and merged_into[last] not in seen:  # a chain never loops; a bad row ends it
            last = merged_into[last]
            seen.add(last)
        kept[pk] = last
    return kept


def family_head(head_nik, head_name) -> Q:
    """The member records that are the family's head as the household names them: the one with its
    head NIK, or, with none known, one without a NIK who bears its head name (a namesake with another
    NIK, an earlier head of the same name, is someone else). The one rule of the approval that records
    a head dead (``households.services``) and of the pages that say a family's head died.
    ``head_nik``, ``head_name``: the household's values, or expressions of them (``OuterRef``) in a
    subquery of households. The relation is for the caller to ask."""
    nik, name = (value if hasattr(value, "resolve_expression") else Value(value) for value in (head_nik, head_name))
    return Q(nik=nik, nik__gt="") | Q(Exact(nik, Value("")), nik="", name__iexact=Trim(name))


def head_recorded_dead(head_nik, head_name) -> Q:
    """The members recorded as head and known dead (an approved verval found it) who are the family's
    head (:func:`family_head`): the family lost its head, not its place in the data."""
    return Q(relation=Relation.HEAD, is_deceased=True) & family_head(head_nik, head_name)


class Member(RecordDeletion, models.Model):
    """A person in a household. ``nik`` is deliberately not unique: one person in two families is a
    finding for the dedup app to surface, not an import failure."""

    household = models.ForeignKey(Household, verbose_name=_("keluarga"), on_delete=models.CASCADE, related_name="members")
    nik = models.CharField(_("NIK"), max_length=16, blank=True)  # indexed below, as the household's identifiers
    id_individu = models.CharField(_("ID Individu P3KE"), max_length=32, null=True, blank=True)  # unique: Meta, as p3ke_id
    dtks_id = models.CharField(_("ID DTKS"), max_length=40, blank=True)
    name = models.CharField(_("nama"), max_length=150)
    sex = models.CharField(_("jenis kelamin"), max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("tanggal lahir"), null=True, blank=True)
    birth_place = models.CharField(_("tempat lahir"), max_length=100, blank=True)
    mother_name = models.CharField(_("nama ibu kandung"), max_length=150, blank=True)
    relation = models.CharField(_("hubungan dengan kepala keluarga"), max_length=10, choices=Relation.choices, blank=True)
    marital_status = models.CharField(_("status kawin"), max_length=12, choices=MaritalStatus.choices, blank=True)
    occupation = models.CharField(_("pekerjaan"), max_length=16, choices=Occupation.choices, blank=True)
    work_status = models.CharField(_("status pekerjaan"), max_length=60, choices=WorkStatus.choices, blank=True)
    education = models.CharField(_("pendidikan"), max_length=16, choices=Education.choices, blank=True)
    dukcapil_match = models.CharField(_("padan Dukcapil"), max_length=12, choices=DukcapilMatch.choices, blank=True)
    stunting_risk = models.CharField(_("risiko stunting"), max_length=16, choices=StuntingRisk.choices, blank=True)
    raw_values = models.JSONField(_("nilai asli tak dikenal"), default=dict, blank=True)
    source_values = models.JSONField(_("nilai terakhir dari sumber"), default=dict, blank=True, editable=False)
    source_row_hash = models.BigIntegerField(_("hash baris sumber"), null=True, blank=True, editable=False)  # as Household's
    is_absent = models.BooleanField(_("tidak ada di data terbaru"), default=False)
    # Why an absent member is absent, when the registry knows it: a death a field verification found
    # and the area's head approved (``dedup.membership.members_mark_absent`` with ``deceased`` for a
    # member still present, in the write marking them absent; ``households.services.
    # members_record_deceased`` for one absent already). Pages say
    # "meninggal" rather than "tidak ada di data terbaru" for them.
    is_deceased = models.BooleanField(
        _("meninggal"), default=False, help_text=_("Kematiannya ditemukan verval yang sudah disahkan."),
    )
    last_batch = models.ForeignKey(  # neither indexed nor constrained in the database, as the household's
        ImportBatch, verbose_name=_("batch impor terakhir"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", db_index=False, db_constraint=False,
    )
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diubah"), auto_now=True)
    objects = RecordsQuerySet.as_manager()
    history = HistoricalRecords(  # read by record and date only, its user not checked, as the household's
        excluded_fields=["updated_at", "source_values", "source_row_hash"],
        no_db_index=["nik", "id_individu", "household", "last_batch"], user_db_constraint=False,
    )

    class Meta:
        verbose_name = _("anggota keluarga")
        verbose_name_plural = pgettext_lazy("plural", "anggota keluarga")
        ordering = ["household", FAMILY_CARD_ORDER, "birth_date", "id"]
        constraints = [models.UniqueConstraint(fields=["id_individu"], name="households_member_id_individu_key")]
        indexes = [
            models.Index(fields=["nik"], name="households_member_nik_idx", opclasses=["varchar_pattern_ops"]),
            # Present members by birth date, with their household: the targeting rules' member ages
            # (rule previews, the admin's live preview, distribution), stunting's under-fives and the
            # identity scan after an import (everyone born on a day its people were). The rules read
            # the index alone (700,000 families: 0.4-0.5 s of heap per age condition before).
            models.Index(
                fields=["birth_date", "household"], condition=Q(is_absent=False), name="households_member_birth_hh_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        run_checks(self, (check_identifiers, ("nik",)), (check_birth_date, ("birth_date",)))


# The fields of the import layouts that are no field of a household or member: place names and codes
# of the file, and a recipient list's enrollment columns.
IMPORT_FIELD_LABELS = {
    "provinsi": _("Provinsi"), "kabupaten": _("Kabupaten/kota"), "kecamatan": _("Kecamatan"),
    "region_code": _("Kode Kemdagri"), "region_code_prov": _("Kode Kemdagri: bagian provinsi (2 angka)"),
    "region_code_kab": _("Kode Kemdagri: bagian kabupaten/kota (2 angka)"),
    "region_code_kec": _("Kode Kemdagri: bagian kecamatan (2 angka)"),
    "region_code_desa": _("Kode Kemdagri: bagian desa/kelurahan (4 angka)"), "participant": _("Peserta (NIK atau No KK)"),
    "program": _("Program"), "year": _("Tahun"), "period": _("Periode/tahap"), "status": _("Status penyaluran"),
    "amount": _("Nilai (Rp)"), "delivered_on": _("Tanggal penyaluran"), "note": _("Catatan"),
}
_AID_FIELD = "penerima"  # ``ValueMapping.field`` of every aid column's values


def _registry_field(name: str):
    for model in (Household, Member):
        try:
            return model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
    return None


def import_field_label(name: str) -> str:
    """A mapping's field as the registry names it, in the active language (``NIK``, ``No KK``: the
    first letter raised only); an aid column's by its key."""
    if name.startswith(_AID_FIELD + ":"):
        return _("Bantuan: %(program)s") % {"program": name[len(_AID_FIELD) + 1:]}
    if name == _AID_FIELD:
        return str(_("Kolom bantuan (Penerima/Bansos/PBI)"))
    field = _registry_field(name)
    if field is not None:
        return capfirst(str(field.verbose_name))
    return str(IMPORT_FIELD_LABELS.get(name) or capfirst(name.replace("_", " ")))


def import_choice_label(name: str, code: str) -> str:
    """A value mapping's choice by its label in the active language; "-" for "no value"."""
    if not code:
        return "-"
    if name == _AID_FIELD:
        return str({"ya": _("Ya"), "tidak": _("Tidak")}.get(code, code))
    field = _registry_field(name)
    return str(dict(field.flatchoices).get(code, code)) if field is not None and field.choices else code


class ColumnMapping(models.Model):
    """A header of one kind of table and the field it fills (empty: a known column left unused).
    The built-in layouts are loaded by ``load_reference``; Bappeda adds the headers a new file
    brings. ``header`` is stored as matched (lower case, punctuation and spacing as one space)."""

    layout = models.CharField(_("jenis tabel"), max_length=16, choices=ImportLayout.choices)
    header = models.CharField(_("judul kolom"), max_length=200)
    field = models.CharField(_("kolom registri"), max_length=60, blank=True)
    builtin = models.BooleanField(_("bawaan"), default=False, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("pemetaan kolom impor")
        verbose_name_plural = _("pemetaan kolom impor")
        ordering = ["layout", "header"]
        constraints = [models.UniqueConstraint(fields=["layout", "header"], name="households_columnmapping_unique")]

    def __str__(self) -> str:
        return f"{self.get_layout_display()}: {self.header} -> {import_field_label(self.field) if self.field else '-'}"


class ValueMapping(models.Model):
    """A value of a choice column and the choice it means (empty: "no value", like Kosong), for one
    kind of import or (kind left empty) for every kind. ``value`` is stored as matched. The field
    ``penerima`` holds the values of every aid column (``Penerima ...``), meaning ``ya`` or ``tidak``."""

    kind = models.CharField(_("jenis impor"), max_length=16, choices=ImportKind.choices, blank=True)
    field = models.CharField(_("kolom registri"), max_length=60)
    value = models.CharField(_("nilai di berkas"), max_length=200)
    code = models.CharField(_("pilihan"), max_length=60, blank=True)
    builtin = models.BooleanField(_("bawaan"), default=False, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("pemetaan nilai impor")
        verbose_name_plural = _("pemetaan nilai impor")
        ordering = ["field", "value"]
        constraints = [models.UniqueConstraint(fields=["kind", "field", "value"], name="households_valuemapping_unique")]

    def __str__(self) -> str:
        return f"{import_field_label(self.field)}: {self.value} -> {import_choice_label(self.field, self.code)}"
