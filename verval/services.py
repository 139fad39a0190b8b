"""Every write of field verification: opening cases, assigning them, recording visits and photos,
the village deliberation, the agency's verification, the approval by the area's head (the Bupati,
Wali Kota or Gubernur: ``households.choices.area_head``) and what it applies,
the proposal file handed out, and the ministry's returns.

Recording a visit never changes the registry. Approval applies the batch's findings through the
services that own the data: ``households.services`` (absent, living conditions with their source
and date), ``programs.services`` (enrollments suspended or ended, with history and the one-aid
re-check) and ``dedup.membership`` (members the visit found gone marked absent, members it found
missing added, each re-checking the one-aid rule and the identity duplicates); a member found dead
is recorded dead in the write marking them absent (``households.services`` for one absent already:
the pages say so) and loses the aid of their own (``programs.services`` again).
"""

from __future__ import annotations

import contextlib
import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext
from simple_history.utils import bulk_create_with_history

from agencies.models import ExportKind
from agencies.selectors import sees_everything
from agencies.services import export_log_create, identifier_search_record
from dedup import membership
from households.choices import AbsentReason, area_head
from households.models import LIVING_CONDITION_FIELDS, Household, Member, Relation
from households.regions import loaded_regions
from households.validators import check_identifiers, family_nik_repeats, person_nik_warnings
from households.services import (
    household_conditions_update,
    household_eligibility_confirm,
    household_head_deceased,
    history_reason,
    members_record_deceased,
)
from konut_registry.db import identity_records_locked
from konut_registry.numbers import thousands
from programs.candidates import candidates, ineligible_enrollments
from programs.models import LIVE_STATUSES, Enrollment, EnrollmentStatus
from programs.services import enrollment_update
from verval.models import (
    MEMBER_GONE,
    OPEN_STATUSES,
    CaseKind,
    CaseMemberChange,
    CasePhoto,
    CaseStatus,
    MemberChange,
    Presence,
    ProposalExport,
    ProposalRow,
    Stage,
    VervalBatch,
    VervalCase,
)
from verval.selectors import (
    DEAD_ENDS,
    CasePlan,
    approval_plans,
    candidate_scope,
    changes_with_members,
    family_members,
    field_officers,
    findings_now,
    holders_elsewhere,
    holding_own_aid,
    kept_household,
    may_approve,
    niks_moving_in_batch,
    may_import_returns,
    may_manage,
    may_verify,
    officer_keeps_visit,
    recorded_by_officer,
    records_visit,
    sees_photo_kind,
)

# The case kinds that question aid when they open (``VervalCase.enrollments``).
QUESTIONS_AID = (CaseKind.INCLUSION, CaseKind.ABSENT_ENROLLED)
# Cases one request may open: a large village's candidates, not the whole registry at once.
OPEN_MAX = 2000
IMAGE_SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


def _stored_language():
    """What verval keeps in the database (case reasons, batch titles, enrollment reasons) is written in
    the registry's language, whatever the language of the user whose action writes it: an officer
    reads it on an Indonesian page, and it goes to the ministry in the proposal file."""
    return translation.override(settings.LANGUAGE_CODE)


# Who may import the ministry's returned list (``selectors.may_import_returns``): the page and the service say it.
RETURNS_REFUSED = gettext_lazy(
    "Hanya Bappeda dan Kepala Dinas Sosial, yang melihat NIK lengkap, yang dapat mengimpor daftar pengembalian.")
# Refusals that name who approves: the head of the covered area, in the user's language (head_text).
APPROVER_ONLY = gettext_noop("Hanya %(head)s (pimpinan) yang dapat mengesahkan berkas verval.")
NOT_YET_APPROVED = gettext_noop("Usulan hanya dapat diekspor dari berkas yang sudah disahkan %(head)s.")


def head_text(text: str) -> str:
    """``text`` (one of the refusals above) in the active language, naming the covered area's head."""
    return _(text) % {"head": area_head().label}


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _locked_batch(batch: VervalBatch, *, stage: str, refused: str) -> VervalBatch:
    current = VervalBatch.objects.select_for_update().get(pk=batch.pk)
    if current.stage != stage:
        raise ValidationError(refused % {"stage": current.get_stage_display()})
    return current


# --- opening and assigning -----------------------------------------------------------------------


@dataclass
class OpenResult:
    batch: VervalBatch | None
    opened: int = 0
    skipped: int = 0


def _reason(kind: str, household: Household, enrollments: list[Enrollment]) -> str:
    if kind == CaseKind.INCLUSION:
        limits = ", ".join(
            f"{e.program.name} {e.year} (desil {household.desil} > {e.limit})" for e in enrollments
        )
        return _("Desil di atas batas kelayakan: %(limits)s") % {"limits": limits}
    if kind == CaseKind.ABSENT_ENROLLED:
        return _("Tidak ada di ekstrak terbaru, masih menerima: %(programs)s") % {
            "programs": ", ".join(f"{e.program.name} {e.year}" for e in enrollments)
        }
    if kind == CaseKind.EXCLUSION:
        return _("Desil %(desil)s, belum menerima bantuan apa pun") % {"desil": household.desil}
    return _("Variabel peringkat belum lengkap")


@transaction.atomic
def cases_open(*, kind: str, household_ids, by, desa=None, title: str = "") -> OpenResult:
    """Open a batch of cases for the given households that are (still) candidates of ``kind`` and
    have no open case of that kind; the others are skipped and counted."""
    _require(may_manage(by), _("Hanya Bappeda atau Dinas Sosial yang dapat membuka kasus verval."))
    if kind not in CaseKind.values:
        raise ValidationError(_("Jenis kandidat tidak dikenal."))
    wanted = {int(pk) for pk in household_ids}
    if not wanted:
        raise ValidationError(_("Pilih paling sedikit satu keluarga."))
    if len(wanted) > OPEN_MAX:
        raise ValidationError(
            _("Paling banyak %(max)s kasus sekali buka; saring per desa/kelurahan.") % {"max": thousands(OPEN_MAX)}
        )
    scope = candidate_scope(by)
    if scope is not None:
        # An agency opens cases only for the households its candidate page shows it: opening a case
        # is not a way to go looking through other agencies' families. A case once open, whoever
        # opened it, is read by every manager (``selectors.sees_every_case``): Dinas Sosial's
        # officers visit it and its head verifies the batch.
        outside = len(wanted) - scope.filter(pk__in=wanted).count()
        if outside:
            raise ValidationError(
                ngettext(
                    "%(count)s keluarga yang dipilih di luar cakupan OPD Anda; kasus hanya dapat dibuka untuk keluarga "
                    "yang tampil di daftar kandidat Anda. Tidak ada kasus yang dibuka.",
                    "%(count)s keluarga yang dipilih di luar cakupan OPD Anda; kasus hanya dapat dibuka untuk keluarga "
                    "yang tampil di daftar kandidat Anda. Tidak ada kasus yang dibuka.",
                    outside,
                ) % {"count": outside}
            )
    busy = VervalCase.objects.filter(kind=kind, status__in=OPEN_STATUSES).values("household_id")
    households = list(
        candidates(kind, base=scope).filter(pk__in=wanted).exclude(pk__in=busy).select_related("desa").order_by("desa__code", "id")
    )
    result = OpenResult(batch=None, skipped=len(wanted) - len(households))
    if not households:
        return result
    ids = [h.pk for h in households]
    questioned: dict[int, list[Enrollment]] = {}
    if kind == CaseKind.INCLUSION:
        rows = ineligible_enrollments().filter(household_id__in=ids).annotate(
            limit=F("program__eligibility_rules__max_desil")
        ).select_related("program")
    elif kind == CaseKind.ABSENT_ENROLLED:
        rows = Enrollment.objects.filter(household_id__in=ids, status__in=LIVE_STATUSES).select_related("program")
    else:
        rows = []
    for enrollment in rows:
        questioned.setdefault(enrollment.household_id, []).append(enrollment)
    today = timezone.localdate()
    place = desa.name if desa is not None else (households[0].desa.name if len({h.desa_id for h in households}) == 1 else "")
    with _stored_language():
        label = CaseKind(kind).label
        default_title = " · ".join(part for part in (str(label), place, date_format(today, "SHORT_DATE_FORMAT")) if part)
        reasons = {household.pk: _reason(kind, household, questioned.get(household.pk, [])) for household in households}
    batch = VervalBatch(
        title=(title or default_title)[:200],
        kind=kind, desa=desa, created_by=by,
    )
    batch.full_clean()
    batch._history_user = by
    batch.save()
    for household in households:
        enrollments = questioned.get(household.pk, [])
        case = VervalCase(batch=batch, household=household, kind=kind, reason=reasons[household.pk][:300])
        case.full_clean()
        case._history_user = by
        case.save()
        if enrollments:
            case.enrollments.set(enrollments)
    result.batch, result.opened = batch, len(households)
    return result


@transaction.atomic
def cases_open_village(*, kind: str, desa, by) -> OpenResult:
    """Open cases for every candidate of ``kind`` in a village that ``by`` may see."""
    _require(may_manage(by), _("Hanya Bappeda atau Dinas Sosial yang dapat membuka kasus verval."))
    ids = list(candidates(kind, base=candidate_scope(by)).filter(desa=desa).values_list("pk", flat=True)[: OPEN_MAX + 1])
    if not ids:
        raise ValidationError(_("Tidak ada kandidat jenis ini di %(desa)s.") % {"desa": desa.name})
    return cases_open(kind=kind, household_ids=ids, by=by, desa=desa)


@dataclass
class AssignResult:
    assigned: int = 0
    # Cases whose officer recorded the visit, left with that officer (:func:`cases_assign`).
    kept: int = 0


@transaction.atomic
def cases_assign(*, cases, officer, by) -> AssignResult:
    """Assign cases still in the field stage to a field officer. A case whose officer recorded the
    visit stays theirs (counted as ``kept``): given to another officer, the finding would be no
    one's, and office staff could replace it (``verval.selectors.records_visit``)."""
    _require(may_manage(by), _("Hanya Bappeda atau Dinas Sosial yang dapat menugaskan petugas."))
    if not field_officers(by).filter(pk=officer.pk).exists():
        raise ValidationError(_("Pilih petugas verval yang aktif dari OPD Anda."))
    result = AssignResult()
    for case in VervalCase.objects.select_for_update(of=("self", "batch")).select_related("batch", "officer").filter(
        pk__in=[c.pk for c in cases]
    ):
        if not case.in_field:
            continue
        if recorded_by_officer(case) and case.officer_id != officer.pk:
            result.kept += 1
            continue
        case.officer = officer
        case.assigned_at = timezone.now()
        if case.status == CaseStatus.OPEN:
            case.status = CaseStatus.ASSIGNED
        case._history_user = by
        case.save()
        result.assigned += 1
    if not (result.assigned or result.kept):
        raise ValidationError(_("Tidak ada kasus yang dapat ditugaskan (berkas sudah melewati tahap lapangan)."))
    return result


# --- the visit ------------------------------------------------------------------------------------


# A visit recorded (or a photo added) once the case left the field stage.
FIELD_STAGE_PASSED = gettext_noop("Berkas ini sudah melewati tahap kunjungan lapangan; hasil tidak dapat diubah.")


# Office staff (Bappeda, Dinas Sosial) facing a visit its assigned officer recorded.
VISIT_KEPT_BY_OFFICER = gettext_noop(
    "Hasil kunjungan ini sudah dicatat oleh petugasnya, %(officer)s; hanya petugas itu yang dapat mengubahnya."
)


def visit_kept_note(case: VervalCase) -> str:
    """Why office staff may not change ``case``'s visit (:func:`verval.selectors.officer_keeps_visit`)."""
    return _(VISIT_KEPT_BY_OFFICER) % {"officer": case.officer.get_full_name() or case.officer.username}


def _case_in_field(case: VervalCase, by) -> VervalCase:
    current = VervalCase.objects.select_for_update(of=("self", "batch")).select_related("batch", "officer").get(pk=case.pk)
    if officer_keeps_visit(by, current):
        raise PermissionDenied(visit_kept_note(current))
    _require(records_visit(by, current), _("Kasus ini tidak ditugaskan kepada Anda."))
    if not current.in_field:
        raise ValidationError(_(FIELD_STAGE_PASSED))
    return current


# The fields of a member to add, as the visit page types them.
NEW_MEMBER_FIELDS = ("name", "nik", "relation", "sex", "birth_date")


def new_member_checked(values: dict, *, household: Household) -> Member:
    """A member to add as a visit typed it (``NEW_MEMBER_FIELDS``), checked as the admin checks a
    member typed in: a name, the importer's NIK rules, a birth date not after today nor before
    ``households.validators.EARLIEST_BIRTH``. Returns the unsaved member (its NIK as the rules write it);
    ValidationError by field otherwise."""
    if not (values.get("name") or "").strip():
        raise ValidationError({"name": _("Nama anggota baru wajib diisi.")})
    member = Member(
        household=household, name=values["name"].strip(), nik=(values.get("nik") or "").strip(),
        relation=values.get("relation") or "", sex=values.get("sex") or "", birth_date=values.get("birth_date"),
    )
    errors = {}
    try:
        # First, as an import reads it: digits typed in groups as on the family card (7409 0102 ...)
        # are the NIK, and a wrong length is said once, not also as the column's length.
        check_identifiers(member, "nik")
    except ValidationError as error:
        errors, member.nik = error.error_dict, ""
    try:
        member.full_clean(exclude=["household"])
    except ValidationError as error:
        errors = {**error.error_dict, **errors}
    if errors:
        raise ValidationError(errors)
    return member


# A spouse (Istri/Suami) younger than this at the visit is more likely a birth date typed wrong (a
# child's, this year for the year of birth) than a marriage: the visit warns, it does not refuse.
SPOUSE_YOUNGEST = 15


def new_member_warnings(case: VervalCase) -> list[str]:
    """What the visit page warns about the members ``case`` adds, once recorded, as the admin warns
    about a member typed in (``households.validators.person_nik_warnings``): a NIK issued outside the loaded
    regions, a stated sex or birth date the NIK contradicts; and a spouse too young to be one. Nothing
    is refused: the officer checks the family card and corrects the row, or leaves it as it is."""
    regions = loaded_regions()
    today = timezone.localdate()
    found = []
    for row in case.member_findings().added:
        found += person_nik_warnings(row, name=row.name, home_regions=regions.prefixes, home_label=regions.label)
        if row.relation == Relation.SPOUSE and row.birth_date is not None:
            age = today.year - row.birth_date.year - ((today.month, today.day) < (row.birth_date.month, row.birth_date.day))
            if age < SPOUSE_YOUNGEST:
                found.append(_("Periksa tanggal lahir %(name)s: sebagai istri/suami, umurnya baru %(age)s tahun.") % {
                    "name": row.name, "age": age})
    return found


def _member_error(error: ValidationError, *, number: int, name: str) -> list[str]:
    """A member to add's refusals, each naming the row and the field (the page lists them together)."""
    who = _("Anggota baru %(number)s (%(name)s)") % {"number": number, "name": name or "-"}
    return [
        f"{who}: {Member._meta.get_field(field).verbose_name}: {text}" if field in NEW_MEMBER_FIELDS else f"{who}: {text}"
        for field, texts in error.message_dict.items() for text in texts
    ]


def _members_not_present(household: Household, members: dict[int, str]) -> list[str]:
    """The refusals for ``members`` (id -> change) that are no present members of the family. One
    left at Tetap changes nothing (a page opened before an import left them out): no refusal. One
    marked gone is named if an absent member of this family, else refused without naming anyone
    (the head, whom the family's presence speaks for, or another family's member)."""
    gone = sorted(pk for pk, change in members.items() if change != MemberChange.KEPT)
    absent = household.members.filter(pk__in=gone, is_absent=True).order_by("pk")
    names = dict(absent.values_list("pk", "name")) if gone else {}
    errors = [
        _("%(name)s sudah tidak tercatat sebagai anggota keluarga ini (data terbaru); muat ulang halaman kunjungan.")
        % {"name": name} for name in names.values()
    ]
    if len(names) < len(gone):
        errors.append(_("Anggota yang dipilih bukan anggota keluarga yang dikunjungi; muat ulang halaman kunjungan."))
    return errors


def _marked_gone_niks(gone: list[CaseMemberChange]) -> dict[str, str]:
    """NIK -> why a member to add may not take it: that of a member the visit marks gone (the same
    person typed again, with a corrected name say: the member's data is to be corrected, not the
    member marked and added again)."""
    return {
        row.nik: _(
            "NIK ini milik %(name)s, yang ditandai %(change)s. Bila data anggota itu salah, ubah data anggota itu; "
            "jangan menandainya lalu menambahkannya lagi."
        ) % {"name": row.name, "change": row.get_change_display()}
        for row in gone if row.nik
    }


def _niks_held_elsewhere(case: VervalCase, household: Household, typed: dict[int, Member]) -> list[tuple[int, list[str]]]:
    """The refusals (row number, texts) for the members to add whose NIK a present member of another
    family holds (a family merged away holds no one): the person is that family's member until
    Bappeda moves them (the identity check at approval would otherwise find them twice), unless a
    visit of the same batch found that member moved out of their family (Pindah, not of that family:
    :func:`verval.selectors.niks_moving_in_batch`; approval moves them here). The
    refusal names no one: the officer may not read that family (its name, No KK or P3KE ID), only
    learn that the NIK is taken and what to do."""
    holders = holders_elsewhere(household, {member.nik for member in typed.values()})
    if not holders:
        return []
    # One the batch records as moved out of their family is the person moving in: approval moves them.
    held = {nik for _pk, _home, nik in holders} - niks_moving_in_batch(case, holders)
    refusal = _(
        "NIK ini sudah tercatat untuk anggota keluarga lain. Bila orang itu pindah ke keluarga ini, jangan tambahkan "
        "di sini: tulis nama dan NIK-nya di catatan kunjungan untuk Bappeda, yang memindahkannya di data keluarga."
    )
    return [
        (number, _member_error(ValidationError({"nik": refusal}), number=number, name=member.name))
        for number, member in typed.items() if member.nik in held
    ]


def new_member_checks_refusal(*, case: VervalCase, by, additions: list[dict]) -> str:
    """Why the visit may not check its members to add against the registry now, or "". Whether a
    present member of another family holds a NIK is told to the users who see NIKs in full
    (:func:`_niks_held_elsewhere`); but for Bappeda, who see every family anyway, each NIK checked
    counts against the hourly limit of a masked role's NIK search
    (``agencies.services.identifier_search_record``), else one post after another would learn which
    NIKs the registry holds. The NIKs of the family and those the case records already are not
    counted (nothing is learnt of them). Called outside the visit's transaction: a visit refused
    for a NIK held elsewhere still counts the NIKs it checked."""
    if not by.can_see_full_nik or sees_everything(by):
        return ""
    household = kept_household(case.household)
    known = {m.nik for m in family_members(household, with_absent=True)} | {row.nik for row in case.member_changes.all()}
    niks = set()
    for values in additions:
        with contextlib.suppress(ValidationError):  # refused by the visit itself, unchecked
            niks.add(new_member_checked(values, household=household).nik)
    for nik in sorted(niks - known - {""}):
        until = identifier_search_record(user=by, digits=nik)
        if until is not None:
            return _(
                "Batas pemeriksaan NIK tercapai: paling banyak %(limit)s NIK berbeda dalam %(minutes)s menit. NIK "
                "baru dapat diperiksa lagi pukul %(time)s; hasil kunjungan belum dicatat."
            ) % {"limit": settings.IDENTIFIER_SEARCH_LIMIT, "minutes": settings.IDENTIFIER_SEARCH_WINDOW_MINUTES,
                 "time": timezone.localtime(until).strftime("%H:%M")}
    return ""


def _member_changes(case: VervalCase, members: dict[int, str], additions: list[dict], *, by) -> list[CaseMemberChange]:
    """The visit's member changes, checked (ValidationError listing every refusal): ``members`` maps
    a member of the family (:func:`verval.selectors.visit_members`) to what the visit found of them
    (``MemberChange``; Tetap is no change; a member absent from the newest data may only be found
    dead, or keep the finding recorded of them before), ``additions`` the members to add. A member to
    add may not take the NIK of another member to add, nor of a member of the family, whoever types
    it (``households.validators.family_nik_repeats``; one the visit marks gone: :func:`_marked_gone_niks`),
    for a user who sees NIKs in full; one who sees them masked is refused only a NIK the form repeats
    (the approval does not add the others, ``selectors.CasePlan.members_known``). Nor, for a user who sees NIKs in full, of a
    present member of another family (:func:`_niks_held_elsewhere`); a user who sees them masked is
    not told (a refusal would confirm a guessed NIK of a family they may not see): the reviewers who
    see NIKs in full are shown it on the case page, and the approval does not add them
    (``selectors.CasePlan.members_elsewhere``)."""
    household = kept_household(case.household)
    # A member absent from the newest data may be found dead, or keep what the visit recorded of
    # them before the data left them out (the page offers it again). A finding is about the member
    # the page shows it on now (a merge's twin, :func:`verval.selectors.findings_now`); one the page
    # shows on no member is kept as it was: the page could not send it, so it is not cleared.
    before = list(case.member_changes.exclude(change=MemberChange.ADDED).select_related("member").order_by("pk"))
    now = findings_now(case, before)
    recorded = {now[row.pk].pk: row.change for row in before if now[row.pk]}
    unshown = [row for row in before if not now[row.pk]]
    present = {m.pk: m for m in family_members(household, with_absent=True)
               if not m.is_absent or members.get(m.pk) in (MemberChange.DECEASED, recorded.get(m.pk))}
    errors = _members_not_present(household, {pk: change for pk, change in members.items() if pk not in present})
    valid = {MemberChange.KEPT, *MEMBER_GONE}
    if any(change not in valid for change in members.values()):
        errors.append(_("Perubahan anggota tidak dikenal; pilih Tetap, Meninggal, Pindah atau Bukan anggota keluarga ini."))
    rows = [
        CaseMemberChange(case=case, change=change, member=present[pk], name=present[pk].name, nik=present[pk].nik,
                         relation=present[pk].relation, sex=present[pk].sex, birth_date=present[pk].birth_date)
        for pk, change in sorted(members.items()) if pk in present and change in MEMBER_GONE
    ]
    rows += [
        CaseMemberChange(case=case, change=row.change, member=row.member, name=row.name, nik=row.nik,
                         relation=row.relation, sex=row.sex, birth_date=row.birth_date)
        for row in unshown
    ]
    checked: list[tuple[int, Member]] = []
    refused: list[tuple[int, list[str]]] = []  # by row number: the page lists them in its rows' order
    for number, values in enumerate(additions, start=1):
        try:
            checked.append((number, new_member_checked(values, household=household)))
        except ValidationError as error:
            refused.append((number, _member_error(error, number=number, name=(values.get("name") or "").strip())))
    typed_niks = [(member.nik, member.name) for _number, member in checked]
    if by.can_see_full_nik:
        repeats = family_nik_repeats(typed_niks, family=household.members,
                                     besides=[row.member_id for row in rows if row.member_id], held=_marked_gone_niks(rows))
    else:
        # A refusal naming the member whose stored NIK was typed would confirm a guessed NIK (the
        # page shows it masked, the birth date in full): only the form's own repeats are refused.
        # The approval adds no one the family holds already (``selectors.CasePlan.members_known``).
        repeats = family_nik_repeats(typed_niks)
    typed = {}
    for index, (number, member) in enumerate(checked):
        if index in repeats:
            refused.append((number, _member_error(ValidationError({"nik": repeats[index]}), number=number, name=member.name)))
            continue
        typed[number] = member
        rows.append(CaseMemberChange(
            case=case, change=MemberChange.ADDED, name=member.name, nik=member.nik, relation=member.relation,
            sex=member.sex, birth_date=member.birth_date,
        ))
    if by.can_see_full_nik:
        refused += _niks_held_elsewhere(case, household, typed)
    errors += [text for _number, texts in sorted(refused, key=lambda item: item[0]) for text in texts]
    if errors:
        raise ValidationError(errors)
    return rows


@transaction.atomic
def case_visit_record(
    *, case: VervalCase, by, visited_on: datetime.date, presence: str, verdict: str, note: str = "",
    conditions: dict[str, str] | None = None, members: dict[int, str] | None = None, additions: list[dict] | None = None,
) -> VervalCase:
    """Record what the visit found, the changes of the family's members included (``members``: a
    member's id to its ``MemberChange``; ``additions``: the members to add, ``NEW_MEMBER_FIELDS``),
    which replace those recorded before. Nothing in the registry changes until the batch is approved."""
    current = _case_in_field(case, by)
    if visited_on > timezone.localdate():
        raise ValidationError(_("Tanggal kunjungan tidak boleh di masa depan."))
    opened = timezone.localdate(current.batch.created_at)
    if visited_on < opened:
        raise ValidationError(_("Tanggal kunjungan tidak boleh sebelum berkas dibuka (%(date)s).") % {
            "date": date_format(opened, "SHORT_DATE_FORMAT")})
    current.visited_on, current.presence, current.verdict, current.note = visited_on, presence, verdict, note.strip()
    current.visited_desil = kept_household(current.household).desil  # what the visit judged the family at
    for name in LIVING_CONDITION_FIELDS:
        setattr(current, name, (conditions or {}).get(name, "") or "")
    current.recorded_by, current.recorded_at, current.status = by, timezone.now(), CaseStatus.VISITED
    current.full_clean()
    changes = _member_changes(current, members or {}, additions or [], by=by)
    current._history_user = by
    current.save()
    current.member_changes.all().delete()
    CaseMemberChange.objects.bulk_create(changes)
    return current


def _image_type(head: bytes) -> str | None:
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for signature, kind in IMAGE_SIGNATURES if head.startswith(signature)), None)


@transaction.atomic
def case_photo_add(*, case: VervalCase, kind: str, upload, by) -> CasePhoto:
    """Keep one photo of the visit (JPEG, PNG or WebP, within ``VERVAL_PHOTO_MAX_BYTES``), of a kind
    ``by`` may open: a family card is not kept for a role that could not open it afterwards."""
    current = _case_in_field(case, by)
    if not sees_photo_kind(by, kind):
        raise ValidationError(_("Foto Kartu Keluarga tidak dapat diunggah dengan peran Anda: peran Anda tidak dapat "
                                "membukanya. Foto ini diunggah oleh petugas verval, Kepala Dinas atau Bappeda."))
    limit = settings.VERVAL_PHOTO_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("Foto terlalu besar (%(size)s MB); paling besar %(max)s MB.")
            % {"size": f"{upload.size / 2**20:.1f}".replace(".", ","), "max": f"{limit / 2**20:.0f}"}
        )
    upload.seek(0)
    content_type = _image_type(upload.read(16))
    upload.seek(0)
    if content_type is None:
        raise ValidationError(_("Berkas ini bukan foto (JPEG, PNG atau WebP)."))
    extension = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}[content_type]
    photo = CasePhoto(case=current, kind=kind, content_type=content_type, size=upload.size, uploaded_by=by)
    photo.file.save(f"kasus-{current.pk}-{kind}.{extension}", upload, save=False)
    photo.full_clean()
    photo.save()
    return photo


# --- deliberation, verification, approval ----------------------------------------------------------


@transaction.atomic
def batch_deliberation_record(*, batch: VervalBatch, held_on: datetime.date, outcome: str, by) -> VervalBatch:
    """The village deliberation discussed the visits: every case must have been visited."""
    _require(may_manage(by), _("Hanya Bappeda atau Dinas Sosial yang dapat mencatat musyawarah desa."))
    current = _locked_batch(batch, stage=Stage.FIELD, refused=_("Musyawarah tidak dapat dicatat: tahap berkas %(stage)s."))
    missing = current.cases.filter(recorded_at__isnull=True).count()
    if missing:
        raise ValidationError(
            ngettext(
                "Masih ada %(count)s kasus yang belum dikunjungi; musyawarah dicatat setelah semua dikunjungi.",
                "Masih ada %(count)s kasus yang belum dikunjungi; musyawarah dicatat setelah semua dikunjungi.",
                missing,
            ) % {"count": missing}
        )
    if held_on > timezone.localdate():
        raise ValidationError(_("Tanggal musyawarah tidak boleh di masa depan."))
    if not outcome.strip():
        raise ValidationError(_("Isi hasil musyawarah desa."))
    current.deliberation_date, current.deliberation_outcome = held_on, outcome.strip()
    current.deliberation_by, current.stage = by, Stage.DELIBERATED
    current._history_user = by
    current.save()
    return current


@transaction.atomic
def batch_verify(*, batch: VervalBatch, note: str, by) -> VervalBatch:
    _require(may_verify(by), _("Hanya Kepala Dinas Sosial yang dapat memverifikasi berkas verval."))
    current = _locked_batch(batch, stage=Stage.DELIBERATED, refused=_("Verifikasi tidak dapat dicatat: tahap berkas %(stage)s."))
    current.verification_note, current.verified_by, current.verified_at = note.strip(), by, timezone.now()
    current.stage = Stage.VERIFIED
    current._history_user = by
    current.save()
    return current


# Why a family the visit found gone is absent, as the pages say it (a head found dead is read from
# the head member, ``households.models.family_head``).
ABSENT_REASONS = {Presence.MOVED: AbsentReason.MOVED, Presence.NOT_FOUND: AbsentReason.NOT_FOUND}


@dataclass
class ApplyResult:
    absent: int = 0
    conditions: int = 0
    suspended: int = 0
    ended: int = 0
    # Families whose head died and who carry on: their new head is for Bappeda to record.
    head_deceased: int = 0
    # Cases applied to the record their household was merged into after the case opened.
    merged: int = 0
    # Enrollments recorded after the case opened, suspended with those the case questioned.
    later: int = 0
    # Families absent from the registry's data found at home: marked present again.
    present: int = 0
    # (desil at the visit, desil now) of the families found eligible whose desil changed since the
    # visit: their eligibility is not confirmed, they stay inclusion candidates.
    desil_changes: list = field(default_factory=list)
    # One-aid conflicts by id: those this approval created or reopened, and those already open
    # that it touched (the rule still counts a suspended enrollment: they stay open for Bappeda).
    conflicts: dict = field(default_factory=dict)
    still_open: dict = field(default_factory=dict)
    # Members the visits found gone, marked absent; members found missing, added.
    members_absent: int = 0
    members_added: int = 0
    # Members to add who were another family's member whom the batch found moved out of it: moved here;
    # those of them who took aid of their own along.
    members_moved: int = 0
    members_moved_with_aid: int = 0
    # The ids of the member changes not applied, each way (counted by ``members_not_found``,
    # ``members_elsewhere``, ``members_known``): the batch and case pages name them. Members found gone
    # whom their family's record no longer holds (merged away without a twin, deleted), for Bappeda to
    # look at; members to add whose NIK a present member of another family holds (a person lives in
    # one family), for Bappeda to move them if they did move; members to add that a present member
    # with their NIK stands for by now.
    not_found_changes: list = field(default_factory=list)
    elsewhere_changes: list = field(default_factory=list)
    known_changes: list = field(default_factory=list)
    # The live aid of their own that members found dead held (a family's head who died, the family
    # carrying on, included): ended, and counted in ``ended`` too (every enrollment the approval ended).
    aid_of_dead: int = 0
    # The families members were added to (their identity duplicates are looked for), and the new
    # identity duplicates found.
    added_to: set = field(default_factory=set)
    identities_new: int = 0
    # The families whose people the approval marked absent or present, or that it marked absent or
    # present themselves: the identity duplicates this ended close, those it brings back open again.
    identities_changed: set = field(default_factory=set)

    @property
    def members_not_found(self) -> int:
        return len(self.not_found_changes)

    @property
    def members_elsewhere(self) -> int:
        return len(self.elsewhere_changes)

    @property
    def members_known(self) -> int:
        return len(self.known_changes)

    def as_dict(self) -> dict:
        return {"absent": self.absent, "conditions": self.conditions, "suspended": self.suspended, "ended": self.ended,
                "head_deceased": self.head_deceased, "merged": self.merged, "later": self.later,
                "present": self.present, "desil_changed": len(self.desil_changes),
                "members_absent": self.members_absent, "members_added": self.members_added,
                "members_known": self.members_known, "members_not_found": self.members_not_found,
                "members_elsewhere": self.members_elsewhere, "not_found_changes": self.not_found_changes,
                "elsewhere_changes": self.elsewhere_changes, "known_changes": self.known_changes,
                "members_moved": self.members_moved, "members_moved_with_aid": self.members_moved_with_aid,
                "identities_new": self.identities_new,
                "aid_of_dead": self.aid_of_dead}


def _set_status(enrollment: Enrollment, status: str, reason: str, by, result: ApplyResult, *,
                from_statuses=LIVE_STATUSES) -> bool:
    """Suspend or end one enrollment still in ``from_statuses`` (live unless said otherwise),
    ``reason`` kept as its reason and leading its history; whether it changed (the caller counts it)."""
    current = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if current.status not in from_statuses:
        return False
    outcome = enrollment_update(enrollment=current, by=by, status=status, status_reason=reason,
                                change_reason=history_reason(reason, Enrollment))
    for conflict in outcome.conflicts:
        (result.conflicts if conflict.created_now else result.still_open)[conflict.pk] = conflict
    return True


def _end_aid_of_dead(plan: CasePlan, *, reason: str, by, result: ApplyResult) -> None:
    """The aid of their own that the dead members hold ends (``CasePlan.aid_of_dead``): a dead person
    receives no aid, suspended aid included."""
    text = _("Penerima meninggal (%(reason)s)") % {"reason": reason}
    for enrollment in plan.aid_of_dead:
        ended = _set_status(enrollment, EnrollmentStatus.CANCELLED, text, by, result, from_statuses=DEAD_ENDS)
        result.aid_of_dead += ended
        result.ended += ended


def _apply_member_changes(plan: CasePlan, *, reason: str, by, result: ApplyResult) -> None:
    """The members the visit found gone are marked absent, the reason leading their history (each
    re-checks the one-aid rule: an absent member links no two families), those found dead recorded
    dead in the same write (one history row); the members it found missing are added as a hand entry
    in the admin is (no import batch), and their family re-checked."""
    for change in MEMBER_GONE:
        gone = [member for row, member in plan.members_gone if row.change == change]
        if gone:
            result.members_absent += membership.members_mark_absent(
                members=gone, absent=True, by=by, reason=f"{MemberChange(change).label} ({reason})",
                deceased=change == MemberChange.DECEASED)
            result.identities_changed.update(member.household_id for member in gone)
    if plan.members_dead:
        # Those an import left out before, absent already: the registry learns why (the members just
        # marked absent are recorded dead already, and left as they are).
        members_record_deceased(members=plan.members_dead, by=by, reason=f"{MemberChange.DECEASED.label} ({reason})")
    for row, member in plan.members_moved_in:
        _move_member_in(row, member, plan=plan, reason=reason, by=by, result=result)
    if plan.members_added:  # each NIK once in the batch: the plan sets apart those an earlier case adds
        _members_added(plan.members_added, plan=plan, reason=reason, by=by, result=result)
    result.known_changes += [change.pk for change in plan.members_known]
    result.not_found_changes += [change.pk for change in plan.members_not_found]
    result.elsewhere_changes += [change.pk for change in plan.members_elsewhere]


def _move_member_in(row: CaseMemberChange, member: Member, *, plan: CasePlan, reason: str, by, result: ApplyResult) -> None:
    """A member to add who is another family's member, found moved out of it by this batch
    (``CasePlan.members_moved_in``): their record moves to this family, as the admin moves a member
    (its history, their person-level aid following them, both families re-checked), taking the
    relation the visit recorded in this family (none recorded, the head of a family found moved away
    whole is no head here: this family has its own). It is saved as the admin saves one, the
    approval's reason leading its history, and kept as the change's ``added``."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    result.members_moved_with_aid += len(holding_own_aid({member.pk}))
    previous = member.household_id
    member.household, member.is_absent = plan.household, False
    member.relation = row.relation or ("" if member.relation == Relation.HEAD else member.relation)
    member._history_user = by
    member._change_reason = history_reason(reason, Member)
    member.save()
    found = membership.member_changed(member=member, previous_household_id=previous, by=by)
    result.conflicts.update(dict.fromkeys(found.new | found.reopened))
    row.added = member
    row.save(update_fields=["added"])
    result.members_moved += 1
    result.added_to.update({plan.household.pk, previous})


def _members_added(rows: list[CaseMemberChange], *, plan: CasePlan, reason: str, by, result: ApplyResult) -> None:
    """Add the members ``rows`` found missing from ``plan``'s family in one go (a few queries however
    many): checked and saved as the admin saves one, the approval's reason leading their history, the
    family re-checked once; each kept as its change's ``added``."""
    members = [new_member_checked({name: getattr(row, name) for name in NEW_MEMBER_FIELDS}, household=plan.household)
               for row in rows]
    bulk_create_with_history(members, Member, default_user=by, default_change_reason=history_reason(reason, Member))
    found = membership.members_added(household_id=plan.household.pk, by=by)
    result.conflicts.update(dict.fromkeys(found.new | found.reopened))
    for row, member in zip(rows, members):
        row.added = member
    CaseMemberChange.objects.bulk_update(rows, ["added"])
    result.members_added += len(rows)
    result.added_to.add(plan.household.pk)


def _apply_case(plan: CasePlan, *, batch: VervalBatch, by, result: ApplyResult) -> None:
    case, household = plan.case, plan.household
    reason = _("Verval disahkan %(date)s: %(batch)s") % {
        "date": date_format(timezone.localdate(), "SHORT_DATE_FORMAT"), "batch": batch.title,
    }
    if household.pk != case.household_id:
        result.merged += 1
    if plan.carries_on:
        # The note leads: the history keeps the first 100 characters of a reason.
        note = _("Kepala keluarga meninggal; kepala keluarga baru ditetapkan Bappeda")
        reason = f"{note} ({reason})"  # the family's later writes of this approval keep saying so
        household_head_deceased(household=household, by=by, reason=reason)
        result.head_deceased += 1
    elif plan.gone:
        # The members found dead die in the registry as in a family found at home, their own aid
        # ending because they died; then the family is marked absent and the rest of its aid ends.
        _end_aid_of_dead(plan, reason=reason, by=by, result=result)
        _apply_member_changes(plan, reason=reason, by=by, result=result)
        membership.household_mark_absent(household=household, by=by, reason=reason,
                                         head_deceased=case.presence == Presence.DECEASED,
                                         absent_reason=ABSENT_REASONS.get(case.presence, ""))
        result.identities_changed.add(household.pk)
        result.absent += 1
        # Suspended aid too: it waited for a check, and this one found no one left to receive it.
        # Not the own aid of a member moving to another family of this batch: it goes with them.
        ending = Enrollment.objects.filter(household=household, status__in=DEAD_ENDS).exclude(member__in=plan.members_moving_out)
        for enrollment in ending.order_by("pk"):
            result.ended += _set_status(enrollment, EnrollmentStatus.CANCELLED, f"{reason} ({case.get_presence_display()})",
                                        by, result, from_statuses=DEAD_ENDS)
        return
    if plan.present_again:
        membership.household_mark_present(household=household, by=by, reason=reason)
        result.identities_changed.add(household.pk)
        result.present += 1
    if plan.observed:
        household_conditions_update(household=household, values=plan.observed, on=case.visited_on, by=by, reason=reason)
        result.conditions += 1
    if plan.confirm:
        household_eligibility_confirm(household=household, desil=case.visited_desil, by=by, reason=reason)
    if plan.desil_change:
        result.desil_changes.append(plan.desil_change)
    # Only inclusion and absent-enrolled cases questioned aid when they opened.
    questioned = set(case.enrollments.values_list("pk", flat=True)) if case.kind in QUESTIONS_AID else None
    _end_aid_of_dead(plan, reason=reason, by=by, result=result)
    for enrollment in plan.suspend:
        changed = _set_status(enrollment, EnrollmentStatus.SUSPENDED, f"{reason} ({case.get_verdict_display()})", by, result)
        result.suspended += changed
        case.aid_suspended = case.aid_suspended or changed  # the proposal file asks for its removal
        if changed and questioned is not None and enrollment.pk not in questioned:
            result.later += 1
    _apply_member_changes(plan, reason=reason, by=by, result=result)


@transaction.atomic
def batch_approve(*, batch: VervalBatch, by) -> ApplyResult:
    """The approval by the area's head: apply every case's findings (the plans the preview counted),
    then the batch is read-only. Members added are looked for among the registry's identities: that
    scan's lock is taken first, before any row, as a merge takes it (taken after, an approval and a
    merge at the same moment would each wait for the other)."""
    _require(may_approve(by), head_text(APPROVER_ONLY))
    adds = CaseMemberChange.objects.filter(case__batch=batch, change=MemberChange.ADDED).exists()
    with identity_records_locked() if adds else contextlib.nullcontext():
        return _batch_approve(batch, by)


def _batch_approve(batch: VervalBatch, by) -> ApplyResult:
    current = _locked_batch(batch, stage=Stage.VERIFIED, refused=_("Berkas tidak dapat disahkan: tahap berkas %(stage)s."))
    result = ApplyResult()
    now = timezone.now()
    for plan in approval_plans(current.cases.select_for_update().select_related("household")
                               .prefetch_related(changes_with_members()).order_by("id")):
        with _stored_language():  # the reasons it writes on households and enrollments
            _apply_case(plan, batch=current, by=by, result=result)
        case = plan.case
        case.status, case.applied_at = CaseStatus.APPLIED, now
        case._history_user = by
        case.save()
    for pk in result.conflicts:
        result.still_open.pop(pk, None)  # reopened by a later case of this batch: counted as new
    if result.added_to or result.identities_changed:
        result.identities_new = membership.identities_checked(result.added_to | result.identities_changed).new
    current.stage, current.approved_by, current.approved_at = Stage.APPROVED, by, now
    current.applied = result.as_dict()
    current._history_user = by
    current.save()
    return result


# --- upward: the proposal file and what the ministry returns ----------------------------------------


@transaction.atomic
def proposal_export_record(*, batch: VervalBatch, cases, by, filename: str) -> ProposalExport:
    """Remember which cases went out in which file, and the NIK each carried (the head's NIK as
    the file was written: the cases' households as the file read them)."""
    _require(may_manage(by), _("Hanya Bappeda atau Dinas Sosial yang dapat mengekspor usulan."))
    batch = VervalBatch.objects.get(pk=batch.pk)
    if not batch.is_approved:
        raise ValidationError(head_text(NOT_YET_APPROVED))
    export = ProposalExport.objects.create(batch=batch, created_by=by, row_count=len(cases), filename=filename[:200])
    export.cases.set(cases)
    ProposalRow.objects.bulk_create(
        ProposalRow(export=export, case=case, nik=case.household.head_nik or "") for case in {c.pk: c for c in cases}.values()
    )
    # Full NIKs and No KK leave the building in this file: the central export log says so too.
    export_log_create(user=by, kind=ExportKind.VERVAL_PROPOSAL, agency=by.agency, filters={"batch": batch.pk},
                      row_count=len(cases))
    return export


@dataclass
class ReturnResult:
    # The new batches, one per case kind.
    batches: list[VervalBatch] = field(default_factory=list)
    reopened: int = 0
    # NIKs of the list that match no sent case.
    unknown: list[str] = field(default_factory=list)
    # NIKs of the list whose family already has an open case of the sent case's kind: left as they are.
    busy: list[str] = field(default_factory=list)


def _sent_cases(niks: list[str]) -> dict[int, str]:
    """The sent cases (applied, in a proposal file) a returned list names: case id -> the list's
    NIK. A case is named by the NIK its file carried; a case sent before those NIKs were kept, by
    its household's current head NIK."""
    named = dict(
        # A case sent twice under two NIKs the list both names: the newer file's NIK.
        ProposalRow.objects.filter(nik__in=niks, case__status=CaseStatus.APPLIED)
        .order_by("case_id", "export_id").values_list("case_id", "nik")
    )
    legacy = (
        VervalCase.objects.filter(status=CaseStatus.APPLIED, household__head_nik__in=niks)
        .filter(pk__in=ProposalExport.cases.through.objects.values("vervalcase_id"))
        .exclude(pk__in=ProposalRow.objects.values("case_id"))
        .values_list("pk", "household__head_nik")
    )
    return {**dict(legacy), **named}


@transaction.atomic
def returns_record(*, rows: list[tuple[str, str]], by) -> ReturnResult:
    """The ministry's returned list, as (NIK, reason) rows: each sent case the list names by the
    NIK it was sent with is marked returned, and the family is reopened in a new batch of the case's
    kind with the reason (once, from its newest case, when it was sent more than once). A family that
    already has an open case of that kind is left as it is and reported, as are NIKs that match no
    sent case. A case that breaks a rule all the same refuses the whole list (ValidationError)."""
    _require(may_import_returns(by), str(RETURNS_REFUSED))
    reasons = {nik: reason for nik, reason in rows}
    matched = _sent_cases(list(reasons))
    sent = list(
        VervalCase.objects.select_for_update()
        .filter(pk__in=list(matched))
        .select_related("household", "batch")
        .order_by("id")
    )
    busy_keys = set(
        VervalCase.objects.filter(status__in=OPEN_STATUSES, household_id__in={c.household_id for c in sent})
        .values_list("household_id", "kind")
    )
    result = ReturnResult()
    busy = set()
    newest: dict[tuple[int, str], VervalCase] = {}
    now = timezone.now()
    for case in sent:
        nik = matched[case.pk]
        if (case.household_id, case.kind) in busy_keys:
            busy.add(nik)
            continue
        case.status, case.returned_at = CaseStatus.RETURNED, now
        case.return_reason = reasons[nik]
        case._history_user = by
        case.save()
        newest[case.household_id, case.kind] = case  # cases in id order: the newest wins
    result.unknown = sorted(set(reasons) - set(matched.values()))
    result.busy = sorted(busy)
    for kind in CaseKind.values:
        reopened = [old for (_household, case_kind), old in newest.items() if case_kind == kind]
        if not reopened:
            continue
        with _stored_language():
            title = _("Dikembalikan kementerian · %(kind)s · %(date)s") % {
                "kind": CaseKind(kind).label, "date": date_format(timezone.localdate(), "SHORT_DATE_FORMAT")}
        batch = VervalBatch(title=title, kind=kind, created_by=by)
        batch.full_clean()
        batch._history_user = by
        batch.save()
        for old in sorted(reopened, key=lambda c: c.pk):
            with _stored_language():
                reason = _("Dikembalikan: %(reason)s") % {"reason": old.return_reason or "-"}
            case = VervalCase(batch=batch, household=old.household, kind=old.kind, reason=reason[:300], reopened_from=old)
            case.full_clean()
            case._history_user = by
            case.save()
            case.enrollments.set(old.enrollments.all())
        result.batches.append(batch)
        result.reopened += len(reopened)
    return result
