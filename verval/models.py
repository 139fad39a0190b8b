"""Field verification (verval: verifikasi dan validasi) of the registry's doubts.

A **batch** (berkas verval) gathers cases opened together, usually one village's candidates of one
kind. Each **case** is one household to visit: a field officer (usually a PKH facilitator of Dinas
Sosial) records what the visit found (the changes of the family's members included: ``CaseMemberChange``),
without changing the registry. The batch then goes through
the village deliberation (musyawarah desa/kelurahan), the verification by Dinas Sosial and the
approval (pengesahan) by the area's head (the Bupati, Wali Kota or Gubernur); only approval applies
the corrections, through the services, and the batch is read-only from then on. The approved
proposals are exported for submission upward (``ProposalExport`` remembers what was sent,
``ProposalRow`` under which NIK); cases the ministry returns are reopened in a new batch of their
kind.
"""

from __future__ import annotations

from typing import NamedTuple

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from households.choices import area_head
from households.models import (
    CookingFuel,
    Desa,
    FloorType,
    Household,
    HouseOwnership,
    Lighting,
    Member,
    Quality,
    Relation,
    RoofType,
    Sex,
    Toilet,
    WallType,
    WaterSource,
)
from programs.models import Enrollment


class CaseKind(models.TextChoices):
    """The candidate kind a case was opened from (``programs.candidates``)."""

    INCLUSION = "inclusion", _("Salah sasaran (inklusi)")
    EXCLUSION = "exclusion", _("Belum terjangkau (eksklusi)")
    ABSENT_ENROLLED = "absent_enrolled", _("Tidak ada di data terbaru tetapi masih menerima")
    INCOMPLETE = "incomplete", _("Variabel peringkat belum lengkap")


def _approved_label() -> str:
    return gettext("Disahkan %(head)s") % {"head": area_head().label}


class Stage(models.TextChoices):
    FIELD = "lapangan", _("Kunjungan lapangan")
    DELIBERATED = "musdes", _("Musyawarah desa dicatat")
    VERIFIED = "verifikasi", _("Diverifikasi Dinas Sosial")
    # The covered area's head approves: Disahkan Bupati, Disahkan Wali Kota, Disahkan Gubernur.
    APPROVED = "disahkan", lazy(_approved_label, str)()


def stage_choices() -> list[tuple[str, str]]:
    """The stages, for the batch's field: a callable, so that the approval's label follows
    ``KONUT_WILAYAH`` without a migration for each area."""
    return Stage.choices


class VervalBatch(models.Model):
    """Cases opened together that go through deliberation, verification and approval as one."""

    title = models.CharField(_("judul"), max_length=200)
    kind = models.CharField(_("jenis kandidat"), max_length=16, choices=CaseKind.choices)
    desa = models.ForeignKey(
        Desa, verbose_name=_("desa/kelurahan"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    stage = models.CharField(_("tahap"), max_length=10, choices=stage_choices, default=Stage.FIELD)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("dibuka oleh"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("dibuka"), auto_now_add=True)
    deliberation_date = models.DateField(_("tanggal musyawarah desa"), null=True, blank=True)
    deliberation_outcome = models.TextField(_("hasil musyawarah desa"), blank=True)
    deliberation_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("musyawarah dicatat oleh"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    verified_at = models.DateTimeField(_("diverifikasi"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("diverifikasi oleh"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    verification_note = models.TextField(_("catatan verifikasi"), blank=True)
    approved_at = models.DateTimeField(_("disahkan"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("disahkan oleh"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    applied = models.JSONField(_("koreksi yang diterapkan"), default=dict, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("berkas verval")
        verbose_name_plural = pgettext_lazy("plural", "berkas verval")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_approved(self) -> bool:
        return self.stage == Stage.APPROVED


class CaseStatus(models.TextChoices):
    OPEN = "baru", _("Belum ditugaskan")
    ASSIGNED = "ditugaskan", _("Ditugaskan")
    VISITED = "dikunjungi", _("Sudah dikunjungi")
    APPLIED = "diterapkan", _("Disahkan dan diterapkan")
    RETURNED = "dikembalikan", _("Dikembalikan kementerian")


# A household has at most one case of a kind in these statuses.
OPEN_STATUSES = (CaseStatus.OPEN, CaseStatus.ASSIGNED, CaseStatus.VISITED)


class Presence(models.TextChoices):
    FOUND = "ditemukan", _("Ditemukan")
    MOVED = "pindah", _("Pindah")
    DECEASED = "meninggal", _("Meninggal")
    NOT_FOUND = "tidak_ditemukan", _("Tidak ditemukan")


class Verdict(models.TextChoices):
    ELIGIBLE = "layak", _("Layak")
    NOT_ELIGIBLE = "tidak_layak", _("Tidak layak")
    NEEDS_DATA = "perlu_data", _("Perlu data baru")


class VervalCase(models.Model):
    """One household to visit, the visit's findings, and what became of them. The observed living
    conditions use the registry's own vocabularies; recording them changes nothing in the registry
    until the batch is approved."""

    batch = models.ForeignKey(VervalBatch, verbose_name=_("berkas"), on_delete=models.CASCADE, related_name="cases")
    household = models.ForeignKey(Household, verbose_name=_("keluarga"), on_delete=models.PROTECT, related_name="verval_cases")
    kind = models.CharField(_("jenis kandidat"), max_length=16, choices=CaseKind.choices)
    reason = models.CharField(_("alasan"), max_length=300, blank=True)
    enrollments = models.ManyToManyField(
        Enrollment, verbose_name=_("kepesertaan yang diperiksa"), blank=True, related_name="verval_cases"
    )
    status = models.CharField(_("status"), max_length=12, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("petugas"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="verval_cases",
    )
    assigned_at = models.DateTimeField(_("ditugaskan"), null=True, blank=True)
    visited_on = models.DateField(_("tanggal kunjungan"), null=True, blank=True)
    presence = models.CharField(_("keberadaan"), max_length=16, choices=Presence.choices, blank=True)
    verdict = models.CharField(_("kesimpulan"), max_length=12, choices=Verdict.choices, blank=True)
    # The desil the family had when the visit judged it: approval confirms eligibility at this desil only.
    visited_desil = models.PositiveSmallIntegerField(_("desil saat kunjungan"), null=True, blank=True)
    note = models.TextField(_("catatan"), blank=True)
    house_ownership = models.CharField(_("kepemilikan rumah"), max_length=16, choices=HouseOwnership.choices, blank=True)
    roof_type = models.CharField(_("jenis atap"), max_length=16, choices=RoofType.choices, blank=True)
    roof_quality = models.CharField(_("kualitas atap"), max_length=8, choices=Quality.choices, blank=True)
    wall_type = models.CharField(_("jenis dinding"), max_length=16, choices=WallType.choices, blank=True)
    wall_quality = models.CharField(_("kualitas dinding"), max_length=8, choices=Quality.choices, blank=True)
    floor_type = models.CharField(_("jenis lantai"), max_length=16, choices=FloorType.choices, blank=True)
    floor_quality = models.CharField(_("kualitas lantai"), max_length=8, choices=Quality.choices, blank=True)
    lighting = models.CharField(_("sumber penerangan"), max_length=16, choices=Lighting.choices, blank=True)
    cooking_fuel = models.CharField(_("bahan bakar memasak"), max_length=16, choices=CookingFuel.choices, blank=True)
    water_source = models.CharField(_("sumber air minum"), max_length=24, choices=WaterSource.choices, blank=True)
    toilet = models.CharField(_("fasilitas BAB"), max_length=16, choices=Toilet.choices, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("dicatat oleh"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("dicatat"), null=True, blank=True)
    applied_at = models.DateTimeField(_("diterapkan"), null=True, blank=True)
    # The approval suspended the family's aid on this case's verdict Tidak layak (whatever the case's
    # kind): the family is proposed for removal.
    aid_suspended = models.BooleanField(_("bantuan ditangguhkan saat pengesahan"), default=False)
    returned_at = models.DateTimeField(_("dikembalikan"), null=True, blank=True)
    return_reason = models.TextField(_("alasan pengembalian"), blank=True)
    reopened_from = models.ForeignKey(
        "self", verbose_name=_("dibuka ulang dari"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("kasus verval")
        verbose_name_plural = pgettext_lazy("plural", "kasus verval")
        ordering = ["batch", "household__desa__code", "household__head_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "kind"], condition=Q(status__in=["baru", "ditugaskan", "dikunjungi"]),
                name="verval_case_one_open_per_household_kind",
                violation_error_message=_("Keluarga ini sudah memiliki kasus verval terbuka dengan jenis yang sama."),
            ),
        ]
        indexes = [
            # An officer's own list.
            models.Index(fields=["officer", "status"], name="verval_case_officer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.household} ({self.get_kind_display()})"

    @property
    def is_visited(self) -> bool:
        return bool(self.recorded_at)

    @property
    def in_field(self) -> bool:
        """Whether its visit may still be recorded: its batch is in the field stage and it is open."""
        return self.batch.stage == Stage.FIELD and self.status in OPEN_STATUSES

    def member_findings(self) -> MemberFindings:
        """What the visit recorded of the family's members, in the order recorded: the members found
        gone (deceased, moved, not of this family) and the members to add. Reads ``member_changes``
        as the caller fetched them (prefetched for a list of cases)."""
        changes = list(self.member_changes.all())
        return MemberFindings(gone=[c for c in changes if not c.is_addition], added=[c for c in changes if c.is_addition])


class MemberChange(models.TextChoices):
    """What a visit found about one member (``KEPT``, the member is still there, is stored as no row)."""

    KEPT = "tetap", _("Tetap")
    DECEASED = "meninggal", _("Meninggal")
    MOVED = "pindah", _("Pindah")
    NOT_FAMILY = "bukan_anggota", _("Bukan anggota keluarga ini")
    ADDED = "tambah", _("Anggota baru")


# The changes that take a member out of the family at approval.
MEMBER_GONE = (MemberChange.DECEASED, MemberChange.MOVED, MemberChange.NOT_FAMILY)


class MemberFindings(NamedTuple):
    """A case's member changes split (``VervalCase.member_findings``)."""

    gone: list[CaseMemberChange]
    added: list[CaseMemberChange]


class CaseMemberChange(models.Model):
    """A change of the family's members the visit found: a registry member gone (deceased, moved, not
    of this family), or a member the registry lacks (a newborn, someone who moved in), typed as the
    family card or the family says. Recording it changes nothing in the registry until the batch is
    approved; the approval then marks the member absent, or adds the new member by hand entry, as the
    admin does (``added``: the member it made)."""

    case = models.ForeignKey(VervalCase, verbose_name=_("kasus"), on_delete=models.CASCADE, related_name="member_changes")
    change = models.CharField(_("perubahan"), max_length=16, choices=MemberChange.choices)
    # The registry's member the change is about (none for a member to add). Its name is kept in
    # ``name``: the case pages and the proposal file show who it was whatever becomes of the record.
    member = models.ForeignKey(
        Member, verbose_name=_("anggota keluarga"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("nama"), max_length=150)
    nik = models.CharField(_("NIK"), max_length=16, blank=True)
    relation = models.CharField(_("hubungan dengan kepala keluarga"), max_length=10, choices=Relation.choices, blank=True)
    sex = models.CharField(_("jenis kelamin"), max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("tanggal lahir"), null=True, blank=True)
    added = models.ForeignKey(
        Member, verbose_name=_("anggota yang ditambahkan"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("perubahan anggota keluarga")
        verbose_name_plural = pgettext_lazy("plural", "perubahan anggota keluarga")
        ordering = ["case", "id"]

    def __str__(self) -> str:
        return f"{self.name}: {self.get_change_display()}"

    @property
    def is_addition(self) -> bool:
        return self.change == MemberChange.ADDED


class PhotoKind(models.TextChoices):
    HOUSE_FRONT = "rumah_depan", _("Rumah tampak depan")
    HOUSE_INSIDE = "rumah_dalam", _("Bagian dalam rumah")
    FAMILY_CARD = "kk", _("Kartu Keluarga")


class CasePhoto(models.Model):
    """A photo from the visit, kept in the private media folder: never served by URL, only through
    the permission-checked view."""

    case = models.ForeignKey(VervalCase, verbose_name=_("kasus"), on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(_("jenis foto"), max_length=12, choices=PhotoKind.choices)
    file = models.FileField(_("berkas"), upload_to="verval/%Y/%m/", max_length=255)
    content_type = models.CharField(_("jenis berkas"), max_length=32)
    size = models.PositiveIntegerField(_("ukuran (bita)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("diunggah oleh"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("diunggah"), auto_now_add=True)

    class Meta:
        verbose_name = _("foto verval")
        verbose_name_plural = pgettext_lazy("plural", "foto verval")
        ordering = ["case", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class ProposalExport(models.Model):
    """One proposal file handed out for submission upward: who, when, which cases (what was sent)."""

    batch = models.ForeignKey(VervalBatch, verbose_name=_("berkas"), on_delete=models.PROTECT, related_name="exports")
    cases = models.ManyToManyField(VervalCase, verbose_name=_("kasus"), related_name="exports")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("diekspor oleh"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("waktu"), auto_now_add=True)
    row_count = models.PositiveIntegerField(_("jumlah baris"), default=0)
    filename = models.CharField(_("nama berkas"), max_length=200)

    class Meta:
        verbose_name = _("usulan terkirim")
        verbose_name_plural = pgettext_lazy("plural", "usulan terkirim")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.filename


class ProposalRow(models.Model):
    """Which NIK one proposal file carried for one case: the head's NIK as it was when the file
    was written. The ministry returns a proposal by that NIK, which the registry may have changed
    since (a new head after a death, a NIK Bappeda corrected). Files written before these rows were
    kept have none: their cases are known by the export's ``cases`` alone."""

    export = models.ForeignKey(ProposalExport, verbose_name=_("usulan terkirim"), on_delete=models.CASCADE, related_name="rows")
    case = models.ForeignKey(VervalCase, verbose_name=_("kasus"), on_delete=models.CASCADE, related_name="proposal_rows")
    nik = models.CharField(_("NIK yang dikirim"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("baris usulan")
        verbose_name_plural = pgettext_lazy("plural", "baris usulan")
        ordering = ["export", "id"]
        constraints = [
            models.UniqueConstraint(fields=["export", "case"], name="verval_proposalrow_one_per_export_case"),
        ]
        indexes = [
            # The ministry's returned list is matched on the NIK sent.
            models.Index(fields=["nik"], name="verval_proposalrow_nik_idx"),
        ]

    def __str__(self) -> str:
        return self.nik


class ProposalType(models.TextChoices):
    """What a case proposes to the ministry."""

    NEW = "baru", _("Usulan baru")
    UPDATE = "perbaikan", _("Perbaikan data")
    REMOVE = "hapus", _("Usulan hapus")


def family_continues(case: VervalCase, *, left: list[tuple[int, str]]) -> bool:
    """The head died, yet the family was found eligible and other members still live there: the
    family and its aid carry on under a new head (a change of head, not a removal). A member the
    same visit found gone (dead, moved, not of this family; on a record merged into this one, their
    NIK's holder) lives there no more; a member it found missing (a newborn) does. With no one
    left, the family is gone. Reads ``member_changes`` as the caller fetched them; ``left``: the
    (id, NIK) of the present members but the head of the record the family is kept on now, as the
    caller fetched them for many cases at once (``selectors.families_continuing``)."""
    if not head_died_eligible(case):
        return False
    findings = case.member_findings()
    if findings.added:
        return True
    gone_ids = {row.member_id for row in findings.gone if row.member_id}
    gone_niks = {row.nik for row in findings.gone if row.nik}
    return any(pk not in gone_ids and nik not in gone_niks for pk, nik in left)


def head_died_eligible(case: VervalCase) -> bool:
    """The visit found the head dead and the family eligible: whether it carries on is asked
    (``family_continues``)."""
    return case.presence == Presence.DECEASED and case.verdict == Verdict.ELIGIBLE


def desil_since_visit(case: VervalCase, household: Household | None = None) -> tuple[int | None, int | None] | None:
    """(desil at the visit, desil now) when the family's desil changed since its visit was recorded
    (a re-sync ranked it again); None when it did not, or before the visit. ``household``: the record
    the family is kept on now, when it is not the case's own (a merge)."""
    now = (household or case.household).desil
    if not case.recorded_at or case.visited_desil == now:
        return None
    return case.visited_desil, now


def proposal_type(case: VervalCase, *, continues: bool) -> str:
    """A family gone (moved, deceased, not found) or found not eligible while receiving aid is
    proposed for removal: an inclusion or absent-enrolled case found not eligible, and any other case
    found not eligible whose aid the approval suspended (an incomplete ranking or an unreached family
    that receives desil-limited aid); an unreached family found eligible is proposed as new; any
    other visit, a deceased head whose family carries on included, corrects the family's data.
    ``continues``: :func:`family_continues`, as the caller read it for many cases at once
    (``selectors.families_continuing``)."""
    if continues:
        return ProposalType.UPDATE
    if case.presence and case.presence != Presence.FOUND:
        return ProposalType.REMOVE
    if case.kind == CaseKind.EXCLUSION and case.verdict == Verdict.ELIGIBLE:
        return ProposalType.NEW
    if case.verdict == Verdict.NOT_ELIGIBLE and (
        case.kind in (CaseKind.INCLUSION, CaseKind.ABSENT_ENROLLED) or case.aid_suspended
    ):
        return ProposalType.REMOVE
    return ProposalType.UPDATE
