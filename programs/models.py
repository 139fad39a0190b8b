"""Programs (the regional government's own, seeded with Konut's 25, and the national aid P3KE reports)
and enrollments in them."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from agencies.models import Agency
from households.models import Household, ImportBatch, Member
from konut_registry.db import new_value_errors
from konut_registry.numbers import rupiah


class Cluster(models.TextChoices):
    """The three strategies of the Bupati's plan (national policy, Inpres 4/2022)."""

    SPENDING = "beban", _("Pengurangan Beban Pengeluaran")
    INCOME = "pendapatan", _("Peningkatan Pendapatan")
    POCKETS = "kantong", _("Penurunan Kantong-Kantong Kemiskinan")


class TargetUnit(models.TextChoices):
    HOUSEHOLD = "household", pgettext_lazy("recipient", "Keluarga")
    PERSON = "person", _("Perorangan")


class FundingSource(models.TextChoices):
    APBN = "apbn", _("APBN")
    APBD_PROV = "apbd_prov", _("APBD Provinsi")
    APBD_KAB = "apbd_kab", _("APBD Kabupaten")
    DANA_DESA = "dana_desa", _("Dana Desa")
    OTHER = "lainnya", _("Lainnya")


class Program(models.Model):
    """An aid program run by one agency. ``is_local`` marks the regional government's own programs
    (the seed holds the 25 of the Konawe Utara Bupati's plan); national aid that P3KE reports in its
    *Penerima ...* columns is a program too (``p3ke_column`` names the column, e.g. ``pkh``), because
    it counts for the one-aid rule."""

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
    is_local = models.BooleanField(_("program daerah"), default=True)
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
        verbose_name_plural = pgettext_lazy("plural", "program")
        ordering = ["cluster", "agency__order", "name"]

    def __str__(self) -> str:
        return self.name


class EnrollmentStatus(models.TextChoices):
    PROPOSED = "proposed", _("Diusulkan")
    ACTIVE = "active", _("Aktif")
    COMPLETED = "completed", _("Selesai")
    REJECTED = "rejected", _("Ditolak")
    CANCELLED = "cancelled", _("Dibatalkan")
    # Held until a ground check decides (a family whose desil rose above the program's limit).
    SUSPENDED = "suspended", _("Ditangguhkan")


# Statuses of an enrollment still under way (proposed, or being delivered): what "receives aid"
# means for the indicators and distribution, the verval candidates and suspensions, a re-synced
# extract's aid no longer stated, and a program's yearly quota.
LIVE_STATUSES = (EnrollmentStatus.PROPOSED, EnrollmentStatus.ACTIVE)
# Statuses in which an enrollment counts as aid of its year for the one-aid rule: under way, or
# delivered and closed (completed). A Rutilahu completed in March is still the aid that a BSPS for
# the same house in the same year would double. Cancelled, rejected and suspended aid does not count.
ONE_AID_STATUSES = (*LIVE_STATUSES, EnrollmentStatus.COMPLETED)


class EnrollmentSource(models.TextChoices):
    MANUAL = "manual", _("Input manual")
    IMPORT = "import", _("Impor daftar penerima")
    P3KE = "p3ke", _("Kolom Penerima P3KE")
    DTKS = "dtks", _("Kolom Bansos DTKS")
    DTSEN = "dtsen", _("Kolom bantuan DTSEN")
    DISTRIBUTION = "distribusi", _("Distribusi Bappeda")


def latest_enrollment_year(today: datetime.date | None = None) -> int:
    """The last year an enrollment may be for: next year (in the registry's time zone), which agencies plan.
    A later one is a typo (2035 for 2025) that the dashboard would open on, showing no conflicts."""
    return (today or timezone.localdate()).year + 1


def enrollment_year_problem(year: int | None) -> str | None:
    """Why ``year`` is refused as an enrollment's year, in the active language; None when it may be.
    The one rule every path that takes a year from a person shares (forms, services, bulk writes)."""
    latest = latest_enrollment_year()
    if year is None or year <= latest:
        return None
    return _(
        "Tahun %(year)s terlalu jauh ke depan: kepesertaan paling jauh untuk tahun depan (%(latest)s). "
        "Periksa salah ketik tahun."
    ) % {"year": year, "latest": latest}


def validate_enrollment_year(year: int | None) -> None:
    """A form field's or a service's check of :func:`enrollment_year_problem`."""
    problem = enrollment_year_problem(year)
    if problem:
        raise ValidationError(problem, code="year_ahead")


def merged_record_problem(household_id: int, kept_id: int) -> str:
    """Why no aid is recorded on a household record merged into another (it stands for no one: the
    one-aid rule and the lists see only the family it went to), naming where the aid belongs."""
    return _("Keluarga #%(id)s sudah digabung ke keluarga #%(kept)s; catat kepesertaan di keluarga #%(kept)s.") % {
        "id": household_id, "kept": kept_id,
    }


def absent_record_problem(household_id: int) -> str:
    """Why no new aid is proposed for a household marked absent (moved, deceased, not found, or no
    longer in the newest full extract): no family lives where the registry places it."""
    return _(
        "Keluarga #%(id)s ditandai tidak ada (pindah, meninggal, tidak ditemukan atau tidak ada di data terbaru): "
        "bantuan baru tidak diusulkan untuknya."
    ) % {"id": household_id}


def absent_member_problem(member_id: int) -> str:
    """Why no new aid of a person program is proposed for a member marked absent: as for a family
    (:func:`absent_record_problem`), no such person lives in the family any more."""
    return _(
        "Anggota #%(id)s ditandai tidak ada (pindah, meninggal, tidak ditemukan atau tidak ada di data terbaru): "
        "bantuan baru tidak diusulkan untuknya."
    ) % {"id": member_id}


def validate_delivery_date(day: datetime.date | None) -> None:
    """Aid is recorded as delivered once it was: never on a day after today (the registry's time zone)."""
    if day is not None and day > timezone.localdate():
        raise ValidationError(_("Tanggal penyaluran tidak boleh di masa depan."), code="future")


# The most an enrollment's aid may be worth. The largest per-family aid the regency's programs give
# is a house (BSPS, RS-Rutilahu: tens of millions of rupiah); a recipient list's stage is hundreds
# of thousands (``Rp 750.000``). A value above Rp 10 miliar is a typo, not aid.
AMOUNT_MAX = 10_000_000_000
# How ``Enrollment.stages`` joins its stages, and how a delivery recorded through the portal is
# marked there (``PORTAL 20/05/2024``).
STAGE_SEPARATOR = "; "
PORTAL_STAGE = "PORTAL"


def has_deliveries(delivered_on: datetime.date | None, stages: str) -> bool:
    """Whether an enrollment's ``amount`` is what was delivered rather than the planned value: a
    delivery day is recorded, or a list's paid stage (one without a day counts too). The portal,
    the lists and the export all go by this."""
    return delivered_on is not None or bool(stages)


def amount_problem(amount: int | None) -> str | None:
    """Why ``amount`` (rupiah) is refused as an enrollment's value, in the active language; None
    when it may be. Shared by the forms, the model and the recipient-list import."""
    if amount is None or amount <= AMOUNT_MAX:
        return None
    return _("Nilai bantuan %(amount)s melebihi batas %(limit)s per kepesertaan. Periksa jumlah digitnya.") % {
        "amount": rupiah(amount), "limit": rupiah(AMOUNT_MAX),
    }


def validate_amount(amount: int | None) -> None:
    """A form field's or the model's check of :func:`amount_problem`."""
    problem = amount_problem(amount)
    if problem:
        raise ValidationError(problem, code="max_value")


class Enrollment(models.Model):
    """A household (and, for person-targeted programs such as PIP, one member) in a program for a
    year. Proposed and active enrollments are aid for the one-aid rule; the dedup app flags a second
    one as a conflict instead of refusing it."""

    # Indexes: every index is written on every insert (an import writes tens of thousands of
    # enrollments), so the foreign keys have none of their own where a composite index starts with
    # them (program, household) and a partial one, without the empty rows, where most rows are
    # empty (member, batch, created_by): see ``Meta.indexes``.
    program = models.ForeignKey(
        Program, verbose_name=_("program"), on_delete=models.PROTECT, related_name="enrollments", db_index=False
    )
    household = models.ForeignKey(
        Household, verbose_name=_("keluarga"), on_delete=models.PROTECT, related_name="enrollments", db_index=False
    )
    member = models.ForeignKey(
        Member, verbose_name=_("anggota"), null=True, blank=True, on_delete=models.PROTECT, related_name="enrollments",
        db_index=False,
    )
    year = models.PositiveSmallIntegerField(_("tahun"))
    status = models.CharField(
        _("status"), max_length=10, choices=EnrollmentStatus.choices, default=EnrollmentStatus.PROPOSED
    )
    amount = models.PositiveBigIntegerField(_("nilai (Rp)"), null=True, blank=True)
    delivered_on = models.DateField(_("tanggal penyaluran"), null=True, blank=True)
    status_reason = models.TextField(_("alasan/catatan"), blank=True)
    # The stages (TAHAP) of recipient lists already counted in ``amount``, and a ``PORTAL_STAGE``
    # mark for each delivery the portal recorded: a later list adds a new stage's amount, the same
    # list uploaded again adds nothing, and a list's stage after a portal delivery waits for the
    # agency's check. A text: a year of monthly stages is longer than any short limit.
    stages = models.TextField(_("tahap tercatat"), blank=True, default="")
    source = models.CharField(_("sumber"), max_length=12, choices=EnrollmentSource.choices, default=EnrollmentSource.MANUAL)
    # Batch and creator (and the history's user): pointers not checked by the database row by row, as
    # a household's ``last_batch`` (see there); the program, household and member are.
    batch = models.ForeignKey(
        ImportBatch, verbose_name=_("batch impor"), null=True, blank=True, on_delete=models.SET_NULL, related_name="enrollments",
        db_index=False, db_constraint=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("dibuat oleh"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", db_index=False, db_constraint=False,
    )
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diubah"), auto_now=True)
    # History is read per enrollment (``id``) and per household (the household page); nothing looks
    # it up by program, member, batch or creator, so those columns are not indexed there.
    history = HistoricalRecords(excluded_fields=["updated_at"], no_db_index=["program", "member", "batch", "created_by"],
                                user_db_constraint=False)

    class Meta:
        verbose_name = _("kepesertaan")
        verbose_name_plural = pgettext_lazy("plural", "kepesertaan")
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
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100), name="programs_enrollment_year_range",
                violation_error_message=_("Tahun kepesertaan harus antara 2000 dan 2100."),
            ),
        ]
        indexes = [
            # The one-aid check looks up a household's live enrollments in a year.
            models.Index(fields=["household", "year", "status"], name="programs_enr_hh_year_idx"),
            # Agency lists and dashboards count a program's enrollments by year and status.
            models.Index(fields=["program", "year", "status"], name="programs_enr_prog_year_idx"),
            # The dashboard groups a year's enrollments per household and program (status flags
            # per status) from this index alone, and finds the latest year in it.
            models.Index(fields=["year", "household", "program", "status"], name="programs_enr_year_hh_idx"),
            # A member's, a batch's and a user's enrollments (deleting or merging a member, an
            # import's report, deleting a user): most enrollments name none, and those are left out.
            models.Index(fields=["member"], condition=Q(member__isnull=False), name="programs_enr_member_idx"),
            models.Index(fields=["batch"], condition=Q(batch__isnull=False), name="programs_enr_batch_idx"),
            models.Index(fields=["created_by"], condition=Q(created_by__isnull=False), name="programs_enr_created_by_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.program} {self.year}"

    @property
    def has_deliveries(self) -> bool:
        """See :func:`has_deliveries`."""
        return has_deliveries(self.delivered_on, self.stages)

    def counted_stages(self) -> list[str]:
        """The stages ``amount`` counts, in the order they were recorded."""
        return [stage for stage in self.stages.split(STAGE_SEPARATOR) if stage]

    def list_stages(self) -> str:
        """The stages recipient lists recorded (not the portal's own marks), as the page shows them."""
        return STAGE_SEPARATOR.join(stage for stage in self.counted_stages() if not stage.startswith(PORTAL_STAGE))

    def clean(self):
        super().clean()
        self._check_typed_values()
        program = self.program if self.program_id else None
        if program is None:
            return
        if program.target_unit == TargetUnit.PERSON and not self.member_id:
            raise ValidationError({"member": _("Program perorangan: pilih anggota keluarga penerima.")})
        if program.target_unit == TargetUnit.HOUSEHOLD and self.member_id:
            raise ValidationError({"member": _("Program keluarga: penerima adalah keluarga, kosongkan anggota.")})
        if self.member_id and self.household_id and self.member.household_id != self.household_id:
            raise ValidationError({"member": _("Anggota ini bukan anggota keluarga yang dipilih.")})
        if self.household_id and self.household.merged_into_id:
            self._check_merged_record()
        elif self.household_id and self.status in LIVE_STATUSES and self.household.is_absent:
            self._check_absent_record("household", absent_record_problem(self.household_id))
        elif self.member_id and self.status in LIVE_STATUSES and self.member.is_absent:
            self._check_absent_record("member", absent_member_problem(self.member_id))

    def _check_merged_record(self) -> None:
        """A record merged into another takes no aid: no enrollment is added or moved to it, and one
        left there by the merge (cancelled as a duplicate) is not made aid again (live, or completed:
        aid received for the one-aid rule). Its other changes (a note, a cancellation) stay open."""
        stored = self._stored_place()
        problem = merged_record_problem(self.household_id, self.household.merged_into_id)
        if stored is None or stored["household_id"] != self.household_id:
            raise ValidationError({"household": problem})
        # Aid again: live from any other status, or completed from anything but live aid (an aid
        # under way may still close).
        status, before = self.status, stored["status"]
        if status in ONE_AID_STATUSES and status != before and before not in LIVE_STATUSES:
            raise ValidationError({"status": problem})

    def _stored_place(self) -> dict | None:
        """The household, member and status this enrollment is stored with (``None`` for a new
        one): what a change moves it from."""
        if self._state.adding or self.pk is None:
            return None
        return type(self)._base_manager.filter(pk=self.pk).values("household_id", "member_id", "status").first()

    def _check_absent_record(self, field: str, problem: str) -> None:
        """As the distribution: no new aid for a family (``field`` household) or a person (member)
        the registry no longer places (moved, deceased, not in the newest data): not proposed, moved
        onto it, or made live again; refused with ``problem``. What it holds stays open (accepted,
        delivered, cancelled), and aid recorded as active is what it received (as lists and imports
        record the aid a file says it got)."""
        if self._state.adding or self.pk is None:
            new_aid = self.status == EnrollmentStatus.PROPOSED  # aid recorded as active is what a family got
        else:
            stored = self._stored_place()
            new_aid = (
                stored is None or stored[f"{field}_id"] != getattr(self, f"{field}_id") or stored["status"] not in LIVE_STATUSES
            )
        if new_aid:
            raise ValidationError({field: problem})

    def _check_typed_values(self) -> None:
        """A year too far ahead (:func:`validate_enrollment_year`), a delivery after today
        (:func:`validate_delivery_date`) and an absurd amount (:func:`validate_amount`) are refused
        when they are new: an enrollment stored with one before these rules (the typo 2035) stays
        open to correction and cancellation. The stored values are read only for a value that
        breaks a rule."""
        errors = {}
        checks = (("year", validate_enrollment_year), ("delivered_on", validate_delivery_date), ("amount", validate_amount))
        for name, validate in checks:
            try:
                validate(getattr(self, name))
            except ValidationError as error:
                errors[name] = error
        errors = new_value_errors(self, errors)
        if errors:
            raise ValidationError(errors)


# --- Targeting: eligibility rules that Bappeda edits as data (compiled to queries in ``programs/targeting.py``).


class ConditionField(models.TextChoices):
    """What a targeting condition looks at. ``member_*`` fields hold when at least one (non-absent)
    member of the household satisfies the condition; the derived flags (unfit house, unsafe water,
    stunting risk, no aid) use the registry's single definitions in ``programs/indicators.py``."""

    DESIL = "desil", _("Desil kesejahteraan")
    HOUSE_OWNERSHIP = "house_ownership", _("Kepemilikan rumah")
    ROOF_TYPE = "roof_type", _("Jenis atap")
    ROOF_QUALITY = "roof_quality", _("Kualitas atap")
    WALL_TYPE = "wall_type", _("Jenis dinding")
    WALL_QUALITY = "wall_quality", _("Kualitas dinding")
    FLOOR_TYPE = "floor_type", _("Jenis lantai")
    FLOOR_QUALITY = "floor_quality", _("Kualitas lantai")
    LIGHTING = "lighting", _("Sumber penerangan")
    COOKING_FUEL = "cooking_fuel", _("Bahan bakar memasak")
    WATER_SOURCE = "water_source", _("Sumber air minum")
    TOILET = "toilet", _("Fasilitas BAB")
    STUNTING_RISK = "stunting_risk", _("Risiko stunting (P3KE)")
    HAS_SAVINGS = "has_savings", _("Memiliki simpanan")
    UNFIT_HOUSE = "unfit_house", _("Rumah tidak layak huni (definisi registri)")
    UNSAFE_WATER = "unsafe_water", _("Tanpa air minum layak (definisi registri)")
    STUNTING_HOUSEHOLD = "stunting_household", _("Keluarga berisiko stunting (P3KE atau ada balita)")
    NO_AID = "no_aid", _("Belum menerima bantuan apa pun pada tahun itu")
    MEMBER_AGE = "member_age", _("Ada anggota berusia (tahun)")
    MEMBER_OCCUPATION = "member_occupation", _("Ada anggota dengan pekerjaan")
    MEMBER_EDUCATION = "member_education", _("Ada anggota dengan pendidikan")
    MEMBER_STUNTING_RISK = "member_stunting_risk", _("Ada anggota berisiko stunting (P3KE)")


class ConditionOperator(models.TextChoices):
    IN = "in", _("salah satu dari")
    NOT_IN = "not_in", _("bukan salah satu dari")
    LTE = "lte", _("paling tinggi (≤)")
    GTE = "gte", _("paling rendah (≥)")
    BETWEEN = "between", _("antara (termasuk batas)")
    YES = "yes", _("ya")
    NO = "no", _("tidak")


class ConditionKind(models.TextChoices):
    CHOICE = "choice", _("pilihan")
    NUMBER = "number", _("angka")
    FLAG = "flag", _("ya/tidak")


# For each condition field: its kind and, for choice fields, the household/member choices whose
# codes or labels are accepted as values. The one catalogue the form, the model and the evaluator use.
_CHOICE_FIELDS = {
    ConditionField.HOUSE_OWNERSHIP: "HouseOwnership",
    ConditionField.ROOF_TYPE: "RoofType",
    ConditionField.ROOF_QUALITY: "Quality",
    ConditionField.WALL_TYPE: "WallType",
    ConditionField.WALL_QUALITY: "Quality",
    ConditionField.FLOOR_TYPE: "FloorType",
    ConditionField.FLOOR_QUALITY: "Quality",
    ConditionField.LIGHTING: "Lighting",
    ConditionField.COOKING_FUEL: "CookingFuel",
    ConditionField.WATER_SOURCE: "WaterSource",
    ConditionField.TOILET: "Toilet",
    ConditionField.STUNTING_RISK: "StuntingRisk",
    ConditionField.MEMBER_OCCUPATION: "Occupation",
    ConditionField.MEMBER_EDUCATION: "Education",
    ConditionField.MEMBER_STUNTING_RISK: "StuntingRisk",
}
NUMBER_FIELDS = (ConditionField.DESIL, ConditionField.MEMBER_AGE)
FLAG_FIELDS = (
    ConditionField.HAS_SAVINGS,
    ConditionField.UNFIT_HOUSE,
    ConditionField.UNSAFE_WATER,
    ConditionField.STUNTING_HOUSEHOLD,
    ConditionField.NO_AID,
)
OPERATORS_BY_KIND = {
    ConditionKind.CHOICE: (ConditionOperator.IN, ConditionOperator.NOT_IN),
    ConditionKind.NUMBER: (ConditionOperator.IN, ConditionOperator.LTE, ConditionOperator.GTE, ConditionOperator.BETWEEN),
    ConditionKind.FLAG: (ConditionOperator.YES, ConditionOperator.NO),
}


def condition_kind(field_name: str) -> str:
    if field_name in NUMBER_FIELDS:
        return ConditionKind.NUMBER
    if field_name in FLAG_FIELDS:
        return ConditionKind.FLAG
    return ConditionKind.CHOICE


def condition_choices(field_name: str):
    """The TextChoices class whose values a choice condition on ``field_name`` accepts, else None."""
    from households import models as household_models

    name = _CHOICE_FIELDS.get(field_name)
    return getattr(household_models, name) if name else None


class TargetingRule(models.Model):
    """One way a household qualifies for a program: a household matches the rule when it meets
    **all** of the rule's conditions, and it is eligible for the program when it matches **any** of
    the program's active rules. A rule without conditions matches nothing (never "everyone").
    ``default_key`` marks a rule shipped with the registry (``programs.default_rules``, loaded by
    ``manage.py load_reference``); Bappeda may edit, deactivate or delete it, and loading the
    reference data again never overwrites the edit nor brings the rule back."""

    program = models.ForeignKey(
        Program, verbose_name=_("program"), on_delete=models.CASCADE, related_name="targeting_rules"
    )
    name = models.CharField(_("nama aturan"), max_length=200)
    description = models.TextField(_("keterangan"), blank=True)
    active = models.BooleanField(_("aktif"), default=True)
    default_key = models.SlugField(_("kunci aturan bawaan"), max_length=64, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("dibuat oleh"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diubah"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("aturan sasaran")
        verbose_name_plural = pgettext_lazy("plural", "aturan sasaran")
        ordering = ["program__cluster", "program__name", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["default_key"], condition=~Q(default_key=""), name="programs_targetingrule_unique_default_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program}: {self.name}"


def _split_values(raw: str) -> list[str]:
    import re

    return [part.strip() for part in re.split(r"[;\n]", raw or "") if part.strip()]


class RuleCondition(models.Model):
    """One condition of a targeting rule, e.g. *Jenis lantai* *salah satu dari* ``Tanah; Bambu``.

    ``value`` holds the values separated by ``;``: choice codes (labels are accepted when typed and
    stored as codes), whole numbers for desil and ages (``2``; ``6;18`` for *antara*), nothing for
    yes/no conditions."""

    rule = models.ForeignKey(TargetingRule, verbose_name=_("aturan"), on_delete=models.CASCADE, related_name="conditions")
    field = models.CharField(_("data"), max_length=24, choices=ConditionField.choices)
    operator = models.CharField(_("operator"), max_length=8, choices=ConditionOperator.choices)
    value = models.CharField(
        _("nilai"), max_length=500, blank=True,
        help_text=_("Pisahkan beberapa nilai dengan titik koma (;). Antara: dua angka, mis. 6;18. Ya/tidak: kosongkan."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("syarat")
        verbose_name_plural = pgettext_lazy("plural", "syarat")
        ordering = ["rule", "id"]

    def __str__(self) -> str:
        return f"{self.get_field_display()} {self.get_operator_display()} {self.value_labels}".strip()

    @property
    def values(self) -> list[str]:
        return _split_values(self.value)

    @property
    def value_labels(self) -> str:
        """The values as users read them: choice labels, ``6–18`` for a range."""
        choices = condition_choices(self.field)
        if choices is None:
            separator = "–" if self.operator == ConditionOperator.BETWEEN else "; "
            return separator.join(self.values)
        labels = dict(choices.choices)
        return "; ".join(str(labels.get(value, value)) for value in self.values)

    def clean(self):
        """Check that the operator fits the field and normalise the values (labels to codes)."""
        super().clean()
        if not self.field or not self.operator:
            return
        kind = condition_kind(self.field)
        if self.operator not in OPERATORS_BY_KIND[kind]:
            allowed = ", ".join(str(ConditionOperator(op).label) for op in OPERATORS_BY_KIND[kind])
            raise ValidationError({"operator": _("Operator ini tidak cocok untuk data ini. Pilih: %(ops)s.") % {"ops": allowed}})
        parts = _split_values(self.value)
        if kind == ConditionKind.FLAG:
            self.value = ""
            return
        if not parts:
            raise ValidationError({"value": _("Isi nilai syarat.")})
        if kind == ConditionKind.NUMBER:
            if self.operator == ConditionOperator.BETWEEN and len(parts) == 1 and "-" in parts[0]:
                parts = [p.strip() for p in parts[0].split("-", 1)]
            try:
                numbers = [int(p) for p in parts]
            except ValueError:
                raise ValidationError({"value": _("Nilai harus bilangan bulat, mis. 2 atau 6;18.")}) from None
            if any(n < 0 or n > 150 for n in numbers):
                raise ValidationError({"value": _("Nilai di luar batas wajar (0-150).")})
            if self.operator in (ConditionOperator.LTE, ConditionOperator.GTE) and len(numbers) != 1:
                raise ValidationError({"value": _("Isi satu angka saja.")})
            if self.operator == ConditionOperator.BETWEEN:
                if len(numbers) != 2 or numbers[0] > numbers[1]:
                    raise ValidationError({"value": _("Antara: isi dua angka, yang kecil dahulu, mis. 6;18.")})
            self.value = ";".join(str(n) for n in numbers)
            return
        choices = condition_choices(self.field)
        by_key = {}
        for code, label in choices.choices:
            by_key[code.lower()] = code
            by_key[str(label).strip().lower()] = code
        codes, unknown = [], []
        for part in parts:
            code = by_key.get(part.lower())
            if code is None:
                unknown.append(part)
            elif code not in codes:
                codes.append(code)
        if unknown:
            allowed = "; ".join(str(label) for _code, label in choices.choices)
            raise ValidationError(
                {"value": _("Nilai tidak dikenal: %(bad)s. Nilai yang boleh: %(ok)s.") % {"bad": "; ".join(unknown), "ok": allowed}}
            )
        self.value = ";".join(codes)


class EligibilityRule(models.Model):
    """Who may keep a program's aid at all: the highest desil a household may have (Kepmensos
    79/HUK/2025: PKH desil 1-4; Sembako, PBI-JK desil 1-5). A live enrollment of a household ranked
    above it is an inclusion-error candidate for field verification (verval). Targeting rules choose
    whom a program reaches first (PKH: desil 1-2 with children); this limit is wider and separate, so
    that a desil-3 PKH family is no inclusion error. ``default_key`` marks a limit shipped with the
    registry (``programs.default_rules``); loading the defaults again never overwrites an edit."""

    program = models.ForeignKey(
        Program, verbose_name=_("program"), on_delete=models.CASCADE, related_name="eligibility_rules"
    )
    max_desil = models.PositiveSmallIntegerField(_("desil tertinggi yang layak"))
    legal_basis = models.CharField(_("dasar hukum"), max_length=200, blank=True)
    active = models.BooleanField(_("aktif"), default=True)
    default_key = models.SlugField(_("kunci aturan bawaan"), max_length=64, blank=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("batas kelayakan desil")
        verbose_name_plural = pgettext_lazy("plural", "batas kelayakan desil")
        ordering = ["program__name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program"], condition=Q(active=True), name="programs_eligibilityrule_one_active_per_program",
                violation_error_message=_("Program ini sudah memiliki batas kelayakan yang aktif."),
            ),
            models.UniqueConstraint(
                fields=["default_key"], condition=~Q(default_key=""), name="programs_eligibilityrule_unique_default_key"
            ),
            models.CheckConstraint(
                condition=Q(max_desil__gte=1, max_desil__lte=10), name="programs_eligibilityrule_desil_1_10",
                violation_error_message=_("Desil tertinggi yang layak harus 1 sampai 10."),
            ),
        ]

    def __str__(self) -> str:
        return _("%(program)s: desil 1-%(max)s") % {"program": self.program, "max": self.max_desil}


class KeptFigure(models.Model):
    """A heavy count of the dashboard (or the household list) as last computed, shared by every web
    process and the background worker: its value, the registry version it was counted at, when and
    how long it took. A page shows it while its version is current; after a write it may show it,
    labelled with its time, while the worker counts again (``programs.dashboard.memo``)."""

    key = models.CharField(max_length=64, unique=True)  # sha256 of the figure's name and arguments
    version = models.TextField()
    computed_at = models.DateTimeField()
    seconds = models.FloatField()
    value = models.JSONField()
    recount_requested_at = models.DateTimeField(null=True, blank=True)
    # Set while a page counts this figure again at a user's request: one such count at a time.
    counting_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("angka tersimpan")
        verbose_name_plural = pgettext_lazy("plural", "angka tersimpan")
