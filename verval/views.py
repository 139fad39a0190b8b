"""The verval pages: candidates (open cases), batches (assign, deliberation, verification,
approval, proposal file, returns), an officer's own list with its print and xlsx versions, the visit
form, and the photos (served only here, to those who may see the case).

Every view checks the role on the server (``verval.selectors``); a case or batch outside the user's
scope answers 404; pages with names and ID numbers are never cached.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext, ngettext_lazy, npgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from agencies.models import ExportKind
from agencies.services import export_log_create
from households.regions import has_several_regencies
from programs.candidates import INCLUSION, KIND_LABELS, candidates, settled_inclusions
from programs.distribution import households_distribute, may_distribute
from programs.models import Program, TargetUnit
from verval import selectors, services
from verval.exports import field_list_response, member_changes_text, proposal_response
from verval.forms import (
    NEW_MEMBER_MAX,
    AssignForm,
    CandidateFilter,
    DeliberationForm,
    DistributeForm,
    MemberChangesForm,
    OpenCasesForm,
    PhotoForm,
    ReturnsForm,
    VerifyForm,
    VisitForm,
    new_member_forms,
)
from verval.models import (
    CaseKind,
    CasePhoto,
    MemberChange,
    MemberFindings,
    Presence,
    Stage,
    Verdict,
    desil_since_visit,
)
from verval.returns import ReturnsError, read_returns

CANDIDATE_PAGE = 200
# A family card shows every member's NIK and the No KK (``selectors.sees_photo``).
FAMILY_CARD_PHOTO_WITHHELD = gettext_lazy(
    "Foto Kartu Keluarga hanya untuk peran yang melihat NIK lengkap (petugas verval, Kepala Dinas, Bappeda)."
)


def _role_required(check, message):
    def decorator(view):
        @login_required
        def wrapper(request, *args, **kwargs):
            if not check(request.user):
                raise PermissionDenied(message)
            return view(request, *args, **kwargs)

        wrapper.__name__, wrapper.__doc__ = view.__name__, view.__doc__
        return wrapper

    return decorator


verval_user = _role_required(selectors.has_verval_role, _("Akun Anda tidak memiliki peran verval."))
manager_only = _role_required(selectors.may_manage, _("Hanya Bappeda atau Dinas Sosial yang dapat melakukan ini."))


def _refuse(request, error: ValidationError) -> None:
    for text in error.messages:
        messages.error(request, text)


def _form_errors(request, form) -> None:
    """Each error as a message, a field's led by its label ("Bidang ini tidak boleh kosong" alone
    does not say which field)."""
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else None
        for text in errors:
            messages.error(request, f"{label}: {text}" if label else text)  # both already translated


@require_safe
@login_required
def home(request):
    if request.user.is_field_officer:
        return redirect("verval:my_cases")
    if not selectors.has_verval_role(request.user):
        raise PermissionDenied(_("Akun Anda tidak memiliki peran verval."))
    return redirect("verval:batch_list")


@require_safe
@never_cache
@manager_only
def candidate_list(request):
    """Candidates of one kind, by kecamatan or village; tick some or take the whole village."""
    several = has_several_regencies()
    form = CandidateFilter(request.GET or None, several_regencies=several)
    data = form.cleaned_data if form.is_valid() else {"kind": "inclusion"}
    kind = data.get("kind") or "inclusion"
    scope = selectors.candidate_scope(request.user)

    def in_place(queryset):
        if data.get("desa"):
            return queryset.filter(desa=data["desa"])
        if data.get("kecamatan"):
            return queryset.filter(desa__kecamatan=data["kecamatan"])
        if data.get("kabupaten"):
            return queryset.filter(desa__kecamatan__kabupaten=data["kabupaten"])
        return queryset

    queryset = in_place(candidates(kind, base=scope))
    total = queryset.count()
    rows = list(queryset.select_related("desa__kecamatan__kabupaten")[:CANDIDATE_PAGE])
    context = {
        "form": form, "kind": kind, "kind_label": KIND_LABELS[kind], "rows": rows, "total": total,
        "several_regencies": several,
        "truncated": total > len(rows), "desa": data.get("desa"), "page_limit": CANDIDATE_PAGE,
        # Families an approved verval found eligible at the desil they still have are left out.
        "settled": in_place(settled_inclusions(base=scope)).count() if kind == INCLUSION else 0,
    }
    return render(request, "verval/candidates.html", context)


@require_POST
@manager_only
def cases_open(request):
    form = OpenCasesForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(request.META.get("HTTP_REFERER") or "verval:candidates")
    data = form.cleaned_data
    try:
        if data["whole_village"]:
            result = services.cases_open_village(kind=data["kind"], desa=data["desa"], by=request.user)
        else:
            result = services.cases_open(kind=data["kind"], household_ids=data["household"], by=request.user, desa=data["desa"])
    except ValidationError as error:
        _refuse(request, error)
        return redirect("verval:candidates")
    if result.batch is None:
        messages.warning(request, _("Tidak ada kasus dibuka: keluarga itu bukan kandidat lagi atau sudah punya kasus terbuka."))
        return redirect("verval:candidates")
    text = ngettext("%(count)s kasus dibuka.", "%(count)s kasus dibuka.", result.opened) % {"count": result.opened}
    if result.skipped:
        text += " " + _("%(count)s dilewati (bukan kandidat lagi atau sudah punya kasus terbuka).") % {"count": result.skipped}
    messages.success(request, text)
    return redirect("verval:batch_detail", pk=result.batch.pk)


@require_safe
@never_cache
@verval_user
def batch_list(request):
    user = request.user
    return render(request, "verval/batch_list.html", {
        "batches": selectors.batch_list(user)[:200], "may_manage": selectors.may_manage(user),
        "sees_names": selectors.sees_names(user), "returns_form": ReturnsForm(),
        "may_import_returns": selectors.may_import_returns(user),
    })


def _desil(value) -> str:
    return "–" if value is None else str(value)


# A desil that differs because the family was merged into another record since the visit: the kept
# record's ranking is the family's now, one the visit did not judge.
MERGED_SINCE_VISIT = gettext_lazy("keluarga digabung sejak kunjungan")


def _desil_change(change: selectors.DesilChange) -> str:
    text = f"{_desil(change.was)} → {_desil(change.now)}"
    return f"{text} ({MERGED_SINCE_VISIT})" if change.merged else text


# Families found eligible whose desil changed since the visit, not confirmed: those still inclusion
# candidates, and those within the limits of the programs they receive by now.
DESIL_CHANGED = (
    (True, ngettext_lazy(
        "%(count)s keluarga layak tidak dikukuhkan, desil berubah sejak kunjungan: %(changes)s; keluarga tetap "
        "menjadi kandidat salah sasaran (inklusi).",
        "%(count)s keluarga layak tidak dikukuhkan, desil berubah sejak kunjungan: %(changes)s; keluarga tetap "
        "menjadi kandidat salah sasaran (inklusi).",
        "count",
    )),
    (False, ngettext_lazy(
        "%(count)s keluarga layak tidak dikukuhkan, desil berubah sejak kunjungan: %(changes)s; desilnya kini "
        "dalam batas kelayakan program yang diterimanya.",
        "%(count)s keluarga layak tidak dikukuhkan, desil berubah sejak kunjungan: %(changes)s; desilnya kini "
        "dalam batas kelayakan program yang diterimanya.",
        "count",
    )),
)


def desil_changes_text(changes: list[selectors.DesilChange]) -> str:
    """The families found eligible whose desil changed since the visit, which approval does not
    confirm (the preview's and the approval's words). Those still candidates are said to be; those
    within the programs' limits by now are not."""
    texts = []
    for still, message in DESIL_CHANGED:
        shown = [change for change in changes if change.still_candidate is still]
        if shown:
            texts.append(message % {"count": len(shown), "changes": ", ".join(_desil_change(change) for change in shown)})
    return " ".join(texts)


# Members found gone whom approval cannot find on their family's record: the preview and the approval say it.
MEMBERS_NOT_FOUND = ngettext_lazy(
    "%(count)s perubahan anggota keluarga tidak dapat diterapkan: anggotanya tidak ditemukan lagi di keluarga yang "
    "dikunjungi (digabung atau diubah sejak kunjungan). Bappeda memeriksanya di data keluarga.",
    "%(count)s perubahan anggota keluarga tidak dapat diterapkan: anggotanya tidak ditemukan lagi di keluarga yang "
    "dikunjungi (digabung atau diubah sejak kunjungan). Bappeda memeriksanya di data keluarga.",
    "count",
)


# Members to add whose NIK another family's present member holds, not added: the preview and the
# approval say how many (no names: the Bupati sees counts).
MEMBERS_ELSEWHERE = ngettext_lazy(
    "%(count)s anggota baru tidak ditambahkan: NIK-nya sudah tercatat untuk anggota keluarga lain (satu orang "
    "hanya di satu keluarga). Bila orang itu pindah, Bappeda memindahkannya di data keluarga.",
    "%(count)s anggota baru tidak ditambahkan: NIK-nya sudah tercatat untuk anggota keluarga lain (satu orang "
    "hanya di satu keluarga). Bila orang itu pindah, Bappeda memindahkannya di data keluarga.",
    "count",
)
# Members to add who were another family's member whom the batch found moved out: moved, the
# preview and the approval say how many; of those holding aid of their own, that it went along.
MEMBERS_MOVED = ngettext_lazy(
    "%(count)s anggota keluarga pindah ke keluarga lain dalam berkas ini: dipindahkan ke keluarga barunya.",
    "%(count)s anggota keluarga pindah ke keluarga lain dalam berkas ini: dipindahkan ke keluarga barunya.",
    "count",
)
MEMBERS_MOVED_WITH_AID = ngettext_lazy(
    "%(count)s anggota keluarga pindah ke keluarga lain dalam berkas ini: dipindahkan ke keluarga barunya, "
    "bersama bantuan perorangannya.",
    "%(count)s anggota keluarga pindah ke keluarga lain dalam berkas ini: dipindahkan ke keluarga barunya, "
    "bersama bantuan perorangannya.",
    "count",
)


def members_moved_text(moved: int, with_aid: int) -> str:
    """The preview's words for ``moved`` members moving between two families of the batch, ``with_aid``
    of them holding aid of their own."""
    texts = [MEMBERS_MOVED % {"count": moved - with_aid}] if moved > with_aid else []
    if with_aid:
        texts.append(MEMBERS_MOVED_WITH_AID % {"count": with_aid})
    return " ".join(texts)
# What the batch and case pages say of one member change approval does not apply (``selectors.changes_not_applied``).
NOT_APPLIED = {
    selectors.NOT_FOUND: gettext_lazy("tidak dapat diterapkan: anggota ini tidak ditemukan lagi di keluarga yang "
                                      "dikunjungi; Bappeda memeriksanya di data keluarga"),
    selectors.ELSEWHERE: gettext_lazy("tidak ditambahkan: NIK-nya sudah tercatat untuk anggota keluarga lain; Bappeda "
                                      "memindahkannya bila orang itu pindah"),
    selectors.KNOWN: gettext_lazy("tidak ditambahkan: sudah tercatat di keluarganya"),
}


def _approval_preview(batch, plans) -> dict:
    preview = selectors.approval_preview(batch, plans)
    if preview["members_not_found"]:
        preview["not_found_text"] = MEMBERS_NOT_FOUND % {"count": preview["members_not_found"]}
    if preview["members_moved"]:
        preview["moved_text"] = members_moved_text(preview["members_moved"], preview["members_moved_with_aid"])
    if preview["members_elsewhere"]:
        preview["elsewhere_text"] = MEMBERS_ELSEWHERE % {"count": preview["members_elsewhere"]}
    preview["programs_text"] = ", ".join(
        f"{name} {year}" + (f" ×{count}" if count > 1 else "") for name, year, count in preview["suspended_programs"]
    )
    preview["desil_text"] = desil_changes_text(preview["desil_changes"]) if preview["desil_changes"] else ""
    return preview


def _batch_context(request, batch) -> dict:
    user = request.user
    cases = list(selectors.batch_cases(user, batch)) if selectors.sees_names(user) else []
    may_manage = selectors.may_manage(user)
    context = {
        "batch": batch, "cases": cases, "summary": selectors.batch_summary(user, batch),
        "stages": Stage, "may_manage": may_manage, "sees_names": selectors.sees_names(user),
        "merged_since_visit": MERGED_SINCE_VISIT,
        "may_verify": selectors.may_verify(user) and batch.stage == Stage.DELIBERATED,
        "may_approve": selectors.may_approve(user) and batch.stage == Stage.VERIFIED,
        "may_export": may_manage and batch.is_approved and user.can_see_full_nik,
        "exports": list(batch.exports.select_related("created_by")),
    }
    if may_manage and batch.stage == Stage.FIELD:
        context["assign_form"] = AssignForm(officers=selectors.field_officers(user), case_ids=[c.pk for c in cases])
        context["deliberation_form"] = DeliberationForm()
    if context["may_verify"]:
        context["verify_form"] = VerifyForm()
    # The approval's plan, built once for the page: the preview counts it, the cases say which member
    # changes it leaves out (none without member changes: no plan then, but for the preview) and whether
    # each family carries on. Approvers see every case (leadership none by name): the whole batch's.
    plans = None
    if not batch.is_approved and (context["may_approve"] or any(case.member_changes.all() for case in cases)):
        plans = selectors.approval_plans(sorted(cases, key=lambda case: case.pk) if cases else selectors.plan_cases(batch))
    if context["may_approve"]:
        context["approval_preview"] = _approval_preview(batch, plans)
    # Without a plan before the approval, no case has member changes: none to leave out.
    not_applied = selectors.changes_not_applied(user, batch, cases, plans) if cases and (plans is not None or batch.is_approved) else {}
    if plans is None:
        continuing = selectors.families_continuing(cases)
    else:
        continuing = {plan.case.pk: plan.carries_on for plan in plans}
    for case in cases:
        case.family_continues = continuing[case.pk]
        case.desil_change = desil_since_visit(case, case.household.merged_into)
        case.desil_merged = bool(case.desil_change and case.household.merged_into_id)
        case.members_gone, case.members_added = case.member_findings()
        for change in (*case.members_gone, *case.members_added):
            change.not_applied = NOT_APPLIED.get(not_applied.get(change.pk))
    # Families found gone (or absent since) are not offered: no new aid is proposed for them.
    offered = [
        c for c in cases
        if c.kind == CaseKind.EXCLUSION and c.verdict == Verdict.ELIGIBLE and not c.household.is_absent
        and (c.presence == Presence.FOUND or c.family_continues)
    ]
    if batch.is_approved and offered and may_distribute(user):
        context["offered"] = offered
        context["distribute_form"] = DistributeForm(
            programs=Program.objects.filter(active=True, target_unit=TargetUnit.HOUSEHOLD).order_by("name"),
            initial={"year": batch.approved_at.year},
        )
    return context


@require_safe
@never_cache
@verval_user
def batch_detail(request, pk: int):
    batch = selectors.batch_for(request.user, pk)
    return render(request, "verval/batch_detail.html", _batch_context(request, batch))


@require_POST
@manager_only
def batch_assign(request, pk: int):
    batch = selectors.batch_for(request.user, pk)
    cases = list(selectors.batch_cases(request.user, batch))
    form = AssignForm(request.POST, officers=selectors.field_officers(request.user), case_ids=[c.pk for c in cases])
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("verval:batch_detail", pk=pk)
    chosen = [c for c in cases if c.pk in set(form.cleaned_data["case"])]
    try:
        result = services.cases_assign(cases=chosen, officer=form.cleaned_data["officer"], by=request.user)
    except ValidationError as error:
        _refuse(request, error)
    else:
        officer = form.cleaned_data["officer"]
        if result.assigned:
            messages.success(request, ngettext(
                "%(count)s kasus ditugaskan kepada %(officer)s.", "%(count)s kasus ditugaskan kepada %(officer)s.",
                result.assigned,
            ) % {"count": result.assigned, "officer": officer.get_full_name() or officer.username})
        if result.kept:
            kept = ngettext(
                "%(count)s kasus tidak ditugaskan ulang: hasil kunjungannya sudah dicatat oleh petugasnya; "
                "hanya petugas itu yang dapat mengubahnya.",
                "%(count)s kasus tidak ditugaskan ulang: hasil kunjungannya sudah dicatat oleh petugasnya; "
                "hanya petugas itu yang dapat mengubahnya.",
                result.kept,
            ) % {"count": result.kept}
            (messages.warning if result.assigned else messages.error)(request, kept)
    return redirect("verval:batch_detail", pk=pk)


def _batch_step(request, pk: int, form_class, perform, done: str):
    batch = selectors.batch_for(request.user, pk)
    form = form_class(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("verval:batch_detail", pk=pk)
    try:
        perform(batch, form.cleaned_data)
    except ValidationError as error:
        _refuse(request, error)
    else:
        messages.success(request, done)
    return redirect("verval:batch_detail", pk=pk)


@require_POST
@manager_only
def batch_deliberation(request, pk: int):
    return _batch_step(
        request, pk, DeliberationForm,
        lambda batch, data: services.batch_deliberation_record(
            batch=batch, held_on=data["held_on"], outcome=data["outcome"], by=request.user),
        _("Hasil musyawarah desa dicatat."),
    )


@require_POST
@verval_user
def batch_verify(request, pk: int):
    if not selectors.may_verify(request.user):
        raise PermissionDenied(_("Hanya Kepala Dinas Sosial yang dapat memverifikasi berkas verval."))
    return _batch_step(
        request, pk, VerifyForm,
        lambda batch, data: services.batch_verify(batch=batch, note=data["note"], by=request.user),
        _("Verifikasi Dinas Sosial dicatat."),
    )


@require_POST
@verval_user
def batch_approve(request, pk: int):
    if not selectors.may_approve(request.user):
        raise PermissionDenied(services.head_text(services.APPROVER_ONLY))
    batch = selectors.batch_for(request.user, pk)
    if request.POST.get("setuju") != "1":
        # Approval applies every correction and cannot be undone: it is asked for twice.
        messages.error(request, _("Berkas belum disahkan: centang pernyataan pengesahan, lalu tekan Sahkan berkas lagi."))
        return redirect("verval:batch_detail", pk=pk)
    try:
        result = services.batch_approve(batch=batch, by=request.user)
    except ValidationError as error:
        _refuse(request, error)
    else:
        done = (
            ngettext("%(count)s kepesertaan ditangguhkan", "%(count)s kepesertaan ditangguhkan", result.suspended)
            % {"count": result.suspended},
            npgettext("kepesertaan", "%(count)s diakhiri", "%(count)s diakhiri", result.ended) % {"count": result.ended},
            ngettext("%(count)s keluarga ditandai tidak ada", "%(count)s keluarga ditandai tidak ada", result.absent)
            % {"count": result.absent},
            ngettext("kondisi tempat tinggal %(count)s keluarga diperbarui",
                     "kondisi tempat tinggal %(count)s keluarga diperbarui", result.conditions)
            % {"count": result.conditions},
        )
        messages.success(request, _("Berkas disahkan. %(done)s.") % {"done": ", ".join(done)})
        notes = (
            (messages.WARNING, result.merged, ngettext(
                "%(count)s kasus diterapkan ke keluarga tujuan penggabungan: keluarganya digabung setelah kasus dibuka.",
                "%(count)s kasus diterapkan ke keluarga tujuan penggabungan: keluarganya digabung setelah kasus dibuka.",
                result.merged)),
            (messages.WARNING, result.later, ngettext(
                "%(count)s kepesertaan yang tercatat setelah kasus dibuka ikut ditangguhkan (program yang sama dengan "
                "yang diperiksa).",
                "%(count)s kepesertaan yang tercatat setelah kasus dibuka ikut ditangguhkan (program yang sama dengan "
                "yang diperiksa).",
                result.later)),
            (messages.INFO, result.present, ngettext(
                "%(count)s keluarga ditandai ada kembali: ditemukan di tempat walaupun tidak ada di data terbaru.",
                "%(count)s keluarga ditandai ada kembali: ditemukan di tempat walaupun tidak ada di data terbaru.",
                result.present)),
            (messages.WARNING, result.head_deceased, ngettext(
                "%(count)s keluarga kehilangan kepala keluarga tetapi tetap ada dan tetap menerima bantuan: Bappeda "
                "menetapkan kepala keluarga baru di data keluarga.",
                "%(count)s keluarga kehilangan kepala keluarga tetapi tetap ada dan tetap menerima bantuan: Bappeda "
                "menetapkan kepala keluarga baru di data keluarga.",
                result.head_deceased)),
            (messages.WARNING, len(result.conflicts), ngettext(
                "%(count)s konflik satu bantuan baru perlu ditinjau Bappeda.",
                "%(count)s konflik satu bantuan baru perlu ditinjau Bappeda.",
                len(result.conflicts))),
            (messages.INFO, result.members_absent, ngettext(
                "%(count)s anggota keluarga ditandai tidak ada (meninggal, pindah atau bukan anggota keluarga ini).",
                "%(count)s anggota keluarga ditandai tidak ada (meninggal, pindah atau bukan anggota keluarga ini).",
                result.members_absent)),
            (messages.INFO, result.members_added, ngettext(
                "%(count)s anggota keluarga baru ditambahkan.", "%(count)s anggota keluarga baru ditambahkan.",
                result.members_added)),
            (messages.INFO, result.members_moved - result.members_moved_with_aid, MEMBERS_MOVED),
            (messages.INFO, result.members_moved_with_aid, MEMBERS_MOVED_WITH_AID),
            (messages.INFO, result.aid_of_dead, ngettext(
                "%(count)s bantuan perorangan dihentikan: penerimanya meninggal.",
                "%(count)s bantuan perorangan dihentikan: penerimanya meninggal.",
                result.aid_of_dead)),
            (messages.WARNING, result.members_known, ngettext(
                "%(count)s anggota baru tidak ditambahkan: anggota dengan NIK yang sama sudah tercatat di keluarganya.",
                "%(count)s anggota baru tidak ditambahkan: anggota dengan NIK yang sama sudah tercatat di keluarganya.",
                result.members_known)),
            (messages.WARNING, result.members_not_found, MEMBERS_NOT_FOUND),
            (messages.WARNING, result.members_elsewhere, MEMBERS_ELSEWHERE),
            (messages.WARNING, result.identities_new, ngettext(
                "%(count)s duplikat identitas baru (NIK anggota yang ditambahkan ada di catatan lain) perlu ditinjau "
                "Bappeda.",
                "%(count)s duplikat identitas baru (NIK anggota yang ditambahkan ada di catatan lain) perlu ditinjau "
                "Bappeda.",
                result.identities_new)),
            (messages.INFO, len(result.still_open), ngettext(
                "%(count)s konflik satu bantuan yang sudah terbuka tetap terbuka: kepesertaan yang ditangguhkan tetap "
                "dihitung aturan satu bantuan, Bappeda yang memutuskannya.",
                "%(count)s konflik satu bantuan yang sudah terbuka tetap terbuka: kepesertaan yang ditangguhkan tetap "
                "dihitung aturan satu bantuan, Bappeda yang memutuskannya.",
                len(result.still_open))),
        )
        for level, count, text in notes:
            if count:
                messages.add_message(request, level, text % {"count": count})
        if result.desil_changes:
            messages.warning(request, desil_changes_text(result.desil_changes))
    return redirect("verval:batch_detail", pk=pk)


@require_safe
@never_cache
@manager_only
def batch_proposal(request, pk: int):
    batch = selectors.batch_for(request.user, pk)
    if not (batch.is_approved and request.user.can_see_full_nik):
        raise PermissionDenied(services.head_text(services.NOT_YET_APPROVED))
    return proposal_response(batch=batch, by=request.user)


@require_POST
@manager_only
def batch_distribute(request, pk: int):
    """Offer the exclusion cases found eligible to a program (Bappeda's distribution)."""
    batch = selectors.batch_for(request.user, pk)
    context = _batch_context(request, batch)
    if "offered" not in context:
        raise PermissionDenied(_("Tidak ada keluarga yang dapat diusulkan dari berkas ini."))
    form = DistributeForm(request.POST, programs=context["distribute_form"].fields["program"].queryset)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("verval:batch_detail", pk=pk)
    program, year = form.cleaned_data["program"], form.cleaned_data["year"]
    try:
        result = households_distribute(
            program=program, year=year, household_ids=[c.household_id for c in context["offered"]], by=request.user)
    except ValidationError as error:
        _refuse(request, error)
    else:
        messages.success(request, ngettext(
            "%(created)s keluarga diusulkan ke %(program)s %(year)s; %(existing)s sudah terdaftar.",
            "%(created)s keluarga diusulkan ke %(program)s %(year)s; %(existing)s sudah terdaftar.",
            len(result.created),
        ) % {"created": len(result.created), "existing": result.existing, "program": program.name, "year": year})
    return redirect("verval:batch_detail", pk=pk)


@require_POST
@_role_required(selectors.may_import_returns, services.RETURNS_REFUSED)
def returns_import(request):
    """The ministry's returned list reopens the cases it names."""
    form = ReturnsForm(request.POST, request.FILES)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("verval:batch_list")
    upload = form.cleaned_data["file"]
    if upload.size > 5 * 1024 * 1024:
        messages.error(request, _("Berkas terlalu besar; paling besar 5 MB."))
        return redirect("verval:batch_list")
    with tempfile.NamedTemporaryFile(suffix=Path(upload.name).suffix.lower()) as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
        handle.flush()
        try:
            rows, problems = read_returns(handle.name, name=upload.name)
        except ReturnsError as error:
            messages.error(request, _(error.message) % error.params)
            return redirect("verval:batch_list")
    for message, params in problems[:10]:
        messages.warning(request, _(message) % params)
    try:
        result = services.returns_record(rows=rows, by=request.user)
    except ValidationError as error:
        messages.error(request, _("Daftar pengembalian tidak dapat diterapkan: %(reason)s Tidak ada yang diubah.") % {
            "reason": " ".join(error.messages)})
        return redirect("verval:batch_list")
    if result.unknown:
        messages.warning(request, _("NIK tanpa usulan terkirim: %(niks)s") % {"niks": ", ".join(result.unknown[:20])})
    if result.busy:
        messages.warning(request, _(
            "Keluarga dengan NIK berikut sudah memiliki kasus verval terbuka dengan jenis yang sama; usulannya tidak "
            "diubah dan tidak dibuka ulang: %(niks)s") % {"niks": ", ".join(result.busy[:20])})
    if not result.batches:
        if not result.busy:
            messages.error(request, _("Tidak ada usulan terkirim yang cocok dengan daftar ini; tidak ada yang diubah."))
        return redirect("verval:batch_list")
    messages.success(request, ngettext("%(count)s kasus dibuka ulang.", "%(count)s kasus dibuka ulang.", result.reopened)
                     % {"count": result.reopened})
    if len(result.batches) > 1:  # one batch per kind: the list shows them side by side
        return redirect("verval:batch_list")
    return redirect("verval:batch_detail", pk=result.batches[0].pk)


# --- the officer ----------------------------------------------------------------------------------


def _finished(request) -> bool:
    """``?selesai=1``: the cases whose batch left the field stage, instead of the open work."""
    return request.GET.get("selesai") == "1"


@require_safe
@never_cache
@verval_user
def my_cases(request):
    finished = _finished(request)
    cases = list(selectors.officer_cases(request.user, finished=finished))
    return render(request, "verval/my_cases.html", {
        "cases": cases, "open": [c for c in cases if not c.is_visited], "finished": finished,
    })


@require_safe
@never_cache
@verval_user
def my_cases_print(request):
    """The officer's cases on paper, full NIKs and No KKs for the roles that see them: logged like
    the same list's file and the portal's print page."""
    finished = _finished(request)
    cases = list(selectors.officer_cases(request.user, finished=finished))
    for case in cases:
        case.member_changes_text = member_changes_text(case)
    export_log_create(
        user=request.user, kind=ExportKind.VERVAL_FIELD_LIST_PRINT, agency=request.user.agency, row_count=len(cases)
    )
    return render(request, "verval/my_cases_print.html", {"cases": cases, "finished": finished})


@require_safe
@never_cache
@verval_user
def my_cases_export(request):
    return field_list_response(cases=list(selectors.officer_cases(request.user, finished=_finished(request))), user=request.user)


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@verval_user
def case_visit(request, pk: int):
    """The visit form (GET shows it, POST records it) and the photos."""
    if not selectors.sees_names(request.user):
        raise PermissionDenied(_("Peran Anda hanya melihat angka."))
    case = selectors.case_for(request.user, pk)
    assigned = selectors.records_visit(request.user, case)
    # Office staff facing the finding the officer recorded are told whose it is, not refused as strangers.
    kept = selectors.officer_keeps_visit(request.user, case)
    in_field = case.in_field
    may_record = assigned and in_field
    members = selectors.visit_members(case)
    # An officer whose batch moved on is told so (a form left open, posted late), not refused as a stranger.
    stage_note = _(services.FIELD_STAGE_PASSED) if (assigned or kept) and not in_field else ""
    if kept and in_field:
        stage_note = services.visit_kept_note(case)
    if request.method == "POST":
        if not (assigned or kept):
            raise PermissionDenied(_("Kasus ini tidak ditugaskan kepada Anda."))
        if not may_record:
            messages.error(request, stage_note)
            return redirect("verval:case_visit", pk=pk)
        form = VisitForm(request.POST, instance=case, user=request.user)
        before = case.member_findings()
        members_form = MemberChangesForm(request.POST, members=members, recorded=_recorded(before, selectors.findings_now(case, before.gone)))
        additions = new_member_forms(request.POST, recorded=before.added, user=request.user)
        # Rows left empty add no one; the others are numbered as the service numbers them.
        filled = [row for row in additions if row.has_changed()]
        if len(filled) > NEW_MEMBER_MAX:
            messages.error(request, _("Paling banyak %(max)s anggota baru dalam satu kunjungan; hasil kunjungan belum "
                                      "dicatat.") % {"max": NEW_MEMBER_MAX})
        elif all([form.is_valid(), members_form.is_valid(), *(row.is_valid() for row in filled)]):
            data = form.cleaned_data
            added = [values for row in filled if (values := row.values()) is not None]
            try:
                refusal = services.new_member_checks_refusal(case=case, by=request.user, additions=added)
                if refusal:
                    raise ValidationError(refusal)
                services.case_visit_record(
                    case=case, by=request.user, visited_on=data["visited_on"], presence=data["presence"],
                    verdict=data["verdict"], note=data["note"], conditions=data, members=members_form.changes(),
                    additions=added,
                )
            except ValidationError as error:
                _refuse(request, error)
            else:
                messages.success(request, _("Hasil kunjungan %(name)s dicatat.") % {"name": case.household.head_name})
                for warning in services.new_member_warnings(case):
                    messages.warning(request, warning)
                return redirect("verval:my_cases" if request.user.is_field_officer else "verval:batch_detail",
                                **({} if request.user.is_field_officer else {"pk": case.batch_id}))
        else:
            _form_errors(request, members_form)
            _new_member_errors(request, filled)
        case = selectors.case_for(request.user, pk)
        found = case.member_findings()
        now = selectors.findings_now(case, found.gone)
    else:
        form = VisitForm(instance=case, user=request.user,
                         initial=None if case.visited_on else {"visited_on": timezone.localdate()})
        found = case.member_findings()
        now = selectors.findings_now(case, found.gone)
        members_form = MemberChangesForm(members=members, recorded=_recorded(found, now))
        additions = new_member_forms(recorded=found.added, user=request.user)
    return render(request, "verval/case_visit.html", {
        "case": case, "form": form, "may_record": may_record, "stage_note": stage_note,
        "photo_form": PhotoForm(user=request.user),
        "photos": [(photo, selectors.sees_photo(request.user, photo)) for photo in case.photos.all()],
        "photo_withheld": FAMILY_CARD_PHOTO_WITHHELD, "enrollments": list(case.enrollments.select_related("program")),
        "members_form": members_form, "additions": additions,
        "member_findings": _member_findings(request.user, case, found, now, members),
    })


def _new_member_errors(request, rows) -> None:
    """The errors of the members to add (``rows``, those filled in) as messages naming the row (the
    rows repeat the same labels), numbered as the service's own refusals."""
    for number, row in enumerate(rows, start=1):
        for name, errors in row.errors.items():
            for text in errors:
                messages.error(request, _("Anggota baru %(number)s: %(field)s: %(error)s") % {
                    "number": number, "field": row.fields[name].label, "error": text})


def _recorded(found: MemberFindings, now: dict) -> dict[int, str]:
    """The recorded findings by the member the visit page shows them on now (``now``: a merge's twin,
    ``selectors.findings_now``)."""
    return {now[c.pk].pk: c.change for c in found.gone if now[c.pk]}


def _member_findings(user, case, found: MemberFindings, now: dict, members) -> dict:
    """What the case pages show of the recorded member changes (``found``, the case's): each member
    shown with what the visit found (Tetap for the present ones it did not change, as the registry
    holds them now), and the members to add; a change approval does not apply says why
    (``NOT_APPLIED``). ``now``: the members the case found gone as the page shows them now (a
    merge's twin, ``selectors.findings_now``)."""
    # The members the case named, gone or added (after the approval, a present member of the family).
    changed = {member.pk for member in now.values() if member} | {c.added_id for c in found.added if c.added_id}
    not_applied = selectors.changes_not_applied(user, case.batch, [case]) if found.gone or found.added else {}
    for change in found.added:
        change.not_applied = NOT_APPLIED.get(not_applied.get(change.pk))
    gone = [(c.name, c.get_change_display(), NOT_APPLIED.get(not_applied.get(c.pk))) for c in found.gone]
    return {
        "members": gone + [(m.name, MemberChange.KEPT.label, None) for m in members if m.pk not in changed and not m.is_absent],
        # The findings the visit form shows on no member (kept on saving): listed beside it.
        "unlisted": [row for change, row in zip(found.gone, gone) if not now[change.pk]],
        "added": found.added,
    }


@require_POST
@verval_user
def case_photo_upload(request, pk: int):
    if not selectors.sees_names(request.user):
        raise PermissionDenied(_("Peran Anda hanya melihat angka."))
    case = selectors.case_for(request.user, pk)
    form = PhotoForm(request.POST, request.FILES, user=request.user)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("verval:case_visit", pk=pk)
    try:
        services.case_photo_add(case=case, kind=form.cleaned_data["kind"], upload=form.cleaned_data["photo"], by=request.user)
    except ValidationError as error:
        _refuse(request, error)
    else:
        messages.success(request, _("Foto disimpan."))
    return redirect("verval:case_visit", pk=pk)


@require_safe
@never_cache
@verval_user
def case_photo(request, pk: int):
    """A photo, to those who may see its case (never by a public URL)."""
    if not selectors.sees_names(request.user):
        raise PermissionDenied(_("Peran Anda hanya melihat angka."))
    photo = get_object_or_404(CasePhoto.objects.select_related("case"), pk=pk)
    selectors.case_for(request.user, photo.case_id)  # 404 outside the user's cases
    if not selectors.sees_photo(request.user, photo):
        raise PermissionDenied(FAMILY_CARD_PHOTO_WITHHELD)
    response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response
