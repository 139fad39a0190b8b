"""The one-aid rule's findings and Bappeda's decisions on them.

A conflict is data, not an error: saving an enrollment never fails because of the rule; a
``Conflict`` row is written instead, and Bappeda reviews it. Identity duplicates (one NIK in two
households, one No KK twice, the same head twice in a village, near-identical members) are
``IdentityMatch`` rows reviewed the same way.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from households.models import Household, ImportBatch, Member
from programs.models import Enrollment, Program


class CompatiblePair(models.Model):
    """Two programs Bappeda has declared may be combined for the same household (e.g. PKH with
    Sembako). Stored once with ``program_a.pk < program_b.pk``; every other pair conflicts."""

    program_a = models.ForeignKey(Program, verbose_name=_("program A"), on_delete=models.CASCADE, related_name="+")
    program_b = models.ForeignKey(Program, verbose_name=_("program B"), on_delete=models.CASCADE, related_name="+")
    reason = models.TextField(_("alasan"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("ditetapkan oleh"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("ditetapkan pada"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("pasangan program yang boleh digabung")
        verbose_name_plural = pgettext_lazy("plural", "pasangan program yang boleh digabung")
        constraints = [
            models.UniqueConstraint(fields=["program_a", "program_b"], name="dedup_compatiblepair_unique"),
            # The service stores each pair once, the lower id first; two equal programs fail it too.
            models.CheckConstraint(
                condition=Q(program_a__lt=F("program_b")), name="dedup_compatiblepair_ordered",
                violation_error_message=_("Pilih dua program yang berbeda."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program_a} + {self.program_b}"


class ConflictRule(models.TextChoices):
    ONE_AID = "one_aid", _("Satu keluarga, satu bantuan")
    SAME_PERSON = "same_person", _("Orang yang sama (NIK) menerima lewat dua keluarga")


class ConflictStatus(models.TextChoices):
    OPEN = "open", _("Terbuka")
    RESOLVED = "resolved", _("Diselesaikan (satu dibatalkan)")
    APPROVED = "approved", _("Disetujui sebagai pengecualian")
    DISMISSED = "dismissed", _("Diabaikan")


class Conflict(models.Model):
    """Two live enrollments that break the one-aid rule. One row per pair (``enrollment_a.pk <
    enrollment_b.pk``): re-checking never duplicates it, and an approved or dismissed pair stays quiet."""

    household = models.ForeignKey(Household, verbose_name=_("keluarga"), on_delete=models.CASCADE, related_name="conflicts")
    # Indexes: an import writes tens of thousands of conflicts, each index on every one of them.
    # ``enrollment_a`` is looked up through the unique pair (it starts with it); the decision
    # columns, empty on a new conflict, have partial indexes without the empty rows (``Meta``).
    enrollment_a = models.ForeignKey(
        Enrollment, verbose_name=_("kepesertaan A"), on_delete=models.CASCADE, related_name="conflicts_as_a",
        db_index=False,
    )
    enrollment_b = models.ForeignKey(
        Enrollment, verbose_name=_("kepesertaan B"), on_delete=models.CASCADE, related_name="conflicts_as_b"
    )
    rule = models.CharField(_("aturan"), max_length=16, choices=ConflictRule.choices, default=ConflictRule.ONE_AID)
    status = models.CharField(_("status"), max_length=10, choices=ConflictStatus.choices, default=ConflictStatus.OPEN)
    evidence = models.JSONField(_("bukti"), default=dict, blank=True)
    decision_reason = models.TextField(_("alasan keputusan"), blank=True)
    kept_enrollment = models.ForeignKey(
        Enrollment, verbose_name=_("kepesertaan dipertahankan"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", db_index=False,
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("ditinjau oleh"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", db_index=False,
    )
    reviewed_at = models.DateTimeField(_("ditinjau pada"), null=True, blank=True)
    # Dismissed because Bappeda declared the two programs compatible: withdrawing that declaration
    # opens the conflict again (when the pair still breaks the rule).
    dismissed_by_pair = models.BooleanField(
        _("diabaikan karena pasangan boleh digabung"), default=False, db_default=False, editable=False
    )
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    history = HistoricalRecords()

    # The families of the pair, as paths from a conflict: one family twice for a one-aid pair, two
    # for a same-person pair (in a province possibly of two regencies). The pages of a region, and
    # each family's flag, hold a conflict under either family.
    FAMILIES = ("enrollment_a__household", "enrollment_b__household")

    class Meta:
        verbose_name = _("konflik satu bantuan")
        verbose_name_plural = pgettext_lazy("plural", "konflik satu bantuan")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["enrollment_a", "enrollment_b"], name="dedup_conflict_unique_pair"),
            models.CheckConstraint(
                condition=Q(enrollment_a__lt=F("enrollment_b")), name="dedup_conflict_ordered_pair",
                violation_error_message=_("Konflik harus antara dua kepesertaan yang berbeda."),
            ),
        ]
        indexes = [
            # Lists of open conflicts, by household (household page, agency list marks).
            models.Index(fields=["status", "household"], name="dedup_conflict_status_hh_idx"),
            # Deleting an enrollment or a user sets these to NULL: only decided conflicts name one.
            models.Index(
                fields=["kept_enrollment"], condition=Q(kept_enrollment__isnull=False), name="dedup_conflict_kept_idx"
            ),
            models.Index(fields=["reviewed_by"], condition=Q(reviewed_by__isnull=False), name="dedup_conflict_reviewer_idx"),
        ]

    def __str__(self) -> str:
        return _("Konflik #%(id)s") % {"id": self.pk}


class WriteCause(models.TextChoices):
    """The kind of write that made the engine create, close or reopen a conflict."""

    ENROLLMENT = "enrollment", _("Simpan kepesertaan")
    IMPORT = "import", _("Impor data")
    HOUSEHOLD = "household", _("Ubah data keluarga")
    MEMBER = "member", _("Ubah data anggota")
    MERGE = "merge", _("Gabung keluarga")
    ABSENT = "absent", _("Tandai tidak ada/ada di data terbaru")
    PAIR_DECLARED = "pair_declared", _("Pasangan program dinyatakan boleh digabung")
    PAIR_WITHDRAWN = "pair_withdrawn", _("Pasangan program boleh digabung ditarik")
    SCAN = "scan", _("Periksa ulang seluruh registri")


class ConflictEventKind(models.TextChoices):
    CREATED = "created", _("dibuat")
    CLOSED = "closed", _("ditutup otomatis")
    REOPENED = "reopened", _("dibuka kembali")
    # Still open, its pair breaking the rule by another rule or with other evidence (two families merged).
    RELABELLED = "relabelled", _("aturan diperbarui")


class ConflictEvent(models.Model):
    """What the engine did to a conflict by itself: created, closed (no longer a breach) or reopened,
    when, by which kind of write, which import batch and whose action. Bappeda's own decisions are
    kept on the conflict and in its change history."""

    conflict = models.ForeignKey(Conflict, verbose_name=_("konflik"), on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kejadian"), max_length=10, choices=ConflictEventKind.choices)
    cause = models.CharField(_("oleh penulisan"), max_length=16, choices=WriteCause.choices)
    # An import writes one event per conflict: the batch and the user, empty for most events
    # (scans, saves without a user), have partial indexes without the empty rows (``Meta``).
    batch = models.ForeignKey(
        ImportBatch, verbose_name=_("batch impor"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_index=False,
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("oleh"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_index=False,
    )
    at = models.DateTimeField(_("waktu"))

    class Meta:
        verbose_name = _("riwayat otomatis konflik")
        verbose_name_plural = pgettext_lazy("plural", "riwayat otomatis konflik")
        ordering = ["at", "id"]
        indexes = [
            # Deleting an import batch or a user sets these to NULL.
            models.Index(fields=["batch"], condition=Q(batch__isnull=False), name="dedup_event_batch_idx"),
            models.Index(fields=["by"], condition=Q(by__isnull=False), name="dedup_event_by_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.conflict_id}"


class IdentityKind(models.TextChoices):
    SAME_NIK = "same_nik", _("NIK sama di dua keluarga")
    SAME_KK = "same_kk", _("No KK sama di dua catatan")
    SAME_HEAD = "same_head", _("Kepala keluarga sama di desa yang sama")
    SIMILAR_MEMBER = "similar_member", _("Nama mirip dengan tanggal lahir sama")


class IdentityStatus(models.TextChoices):
    OPEN = "open", _("Terbuka")
    MERGED = "merged", _("Digabung")
    DISMISSED = "dismissed", _("Diabaikan")
    # Closed by the identity scan itself: the registry no longer shows the pair (a NIK corrected, a
    # person left out of one family). Not a decision of Bappeda's: found again, it opens again.
    CLOSED = "closed", _("Ditutup otomatis")


class IdentityMatch(models.Model):
    """Two household records that look like one family (or hold one person), for Bappeda to merge or
    dismiss. One row per (kind, household pair), ``household_a.pk < household_b.pk``."""

    kind = models.CharField(_("jenis"), max_length=16, choices=IdentityKind.choices)
    # Not checked by the database at commit: a scan records a province's matches by the hundred
    # thousand, and PostgreSQL's check locks each household and member named (17 s of the commit of
    # 254,000 matches, 0.1 s without). A match is made only by the scan, from records it has just
    # read in its transaction, and a record deleted through Django takes its matches with it
    # (``on_delete``); the test suite checks after every test that no match names a missing record.
    household_a = models.ForeignKey(
        Household, verbose_name=_("keluarga A"), on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    household_b = models.ForeignKey(
        Household, verbose_name=_("keluarga B"), on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    member_a = models.ForeignKey(
        Member, verbose_name=_("anggota A"), null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        db_constraint=False,
    )
    member_b = models.ForeignKey(
        Member, verbose_name=_("anggota B"), null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        db_constraint=False,
    )
    score = models.PositiveSmallIntegerField(_("skor kemiripan"), default=100)
    evidence = models.JSONField(_("bukti"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=IdentityStatus.choices, default=IdentityStatus.OPEN)
    decision_reason = models.TextField(_("alasan keputusan"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("ditinjau oleh"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    reviewed_at = models.DateTimeField(_("ditinjau pada"), null=True, blank=True)
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("duplikat identitas")
        verbose_name_plural = pgettext_lazy("plural", "duplikat identitas")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "household_a", "household_b"], name="dedup_identitymatch_unique"),
            models.CheckConstraint(
                condition=Q(household_a__lt=F("household_b")), name="dedup_identitymatch_ordered",
                violation_error_message=_("Duplikat identitas harus antara dua keluarga yang berbeda."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


def with_merge_decisions(household: Household, sources: list[Household]) -> list[Household]:
    """``sources``, records merged into ``household``, each with ``decision``: the identity duplicate
    whose merge it was (the first, when the two records matched in several ways), or None for a
    merge chosen from the household list. One query."""
    ids = [source.pk for source in sources]
    decisions: dict[int, IdentityMatch] = {}
    if ids:
        matches = IdentityMatch.objects.filter(status=IdentityStatus.MERGED).filter(
            Q(household_a=household, household_b__in=ids) | Q(household_b=household, household_a__in=ids)
        )
        for match in matches.order_by("pk"):
            other = match.household_b_id if match.household_a_id == household.pk else match.household_a_id
            decisions.setdefault(other, match)
    for source in sources:
        source.decision = decisions.get(source.pk)
    return sources
