"""The identity duplicate's decision page: the two household records side by side, the evidence,
and the three decisions (merge into A, merge into B, dismiss), each with its reason. The decisions
go through ``dedup.services`` like the list's actions."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dedup import services
from dedup.admin.common import shown_identifier
from dedup.models import IdentityMatch, IdentityStatus
from households.models import head_recorded_dead


class DECISION:
    MERGE_A = "merge_a"
    MERGE_B = "merge_b"
    DISMISS = "dismiss"


class IdentityDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[(DECISION.MERGE_A, ""), (DECISION.MERGE_B, ""), (DECISION.DISMISS, "")])
    reason = forms.CharField(
        label=gettext_lazy("Alasan"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == DECISION.DISMISS and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Tuliskan alasan mengapa kedua data ini bukan keluarga yang sama."))
        return cleaned


@dataclass
class Row:
    label: str
    a: str
    b: str

    @property
    def differs(self) -> bool:
        return self.a != self.b


def _day(value) -> str:
    return date_format(value, "d/m/Y") if value else "-"


def _household_facts(household, viewer) -> list[tuple[str, str]]:
    desa = household.desa
    return [
        (_("Nama kepala keluarga"), household.head_name),
        (_("NIK kepala keluarga"), shown_identifier(household.head_nik, viewer) or "-"),
        (_("No KK"), shown_identifier(household.no_kk, viewer) or "-"),
        (_("ID Keluarga P3KE"), household.p3ke_id or "-"),
        (_("Desa/kelurahan"), f"{desa.name}, {desa.kecamatan.name}"),
        (_("Alamat"), " ".join(p for p in [household.address, household.rt and f"RT {household.rt}", household.rw and f"RW {household.rw}"] if p) or "-"),
        (_("Desil"), str(household.desil) if household.desil is not None else "-"),
        (_("Sumber data"), f"{household.get_source_display()} {household.source_year or ''}".strip()),
        (_("Status"), _absence(household)),
    ]


def _absence(household) -> str:
    """Whether the family is in the newest data and, absent, why where the registry knows it, as the
    portal says it: its head found dead by an approved verval with no one left, or the verval found it
    moved away or did not find it (``Household.absent_reason``)."""
    if not household.is_absent:
        return _("ada di data terbaru")
    if household.members.filter(head_recorded_dead(household.head_nik, household.head_name)).exists():
        return _("kepala keluarga meninggal (verval)")
    return household.get_absent_reason_display() or _("tidak ada di data terbaru")


def comparison(match: IdentityMatch, viewer) -> list[Row]:
    facts_a = _household_facts(match.household_a, viewer)
    facts_b = _household_facts(match.household_b, viewer)
    return [Row(label, a, b) for (label, a), (_label, b) in zip(facts_a, facts_b)]


def _members(household, viewer) -> list[dict]:
    return [
        {"name": m.name, "nik": shown_identifier(m.nik, viewer) or "-", "born": _day(m.birth_date),
         "relation": m.get_relation_display() or "-", "absent": m.is_absent,
         "deceased": m.is_deceased}
        for m in household.members.order_by("pk")
    ]


def _enrollments(household) -> list[str]:
    return [
        f"{e.program.name} {e.year} ({e.get_status_display()})"
        for e in household.enrollments.select_related("program").order_by("-year", "program__name")
    ]


def decide(match: IdentityMatch, form: IdentityDecisionForm, user) -> str:
    """Apply the form's decision; the message that says what was done."""
    decision, reason = form.cleaned_data["decision"], form.cleaned_data.get("reason") or ""
    if decision == DECISION.DISMISS:
        services.identity_dismiss(match=match, by=user, reason=reason)
        return _("Duplikat #%(id)s diabaikan: kedua keluarga tetap terpisah.") % {"id": match.pk}
    keep = "a" if decision == DECISION.MERGE_A else "b"
    result = services.identity_merge(match=match, keep=keep, by=user, reason=reason)
    return _(
        "Keluarga #%(source)s digabung ke #%(target)s: %(members)d anggota dan %(enrollments)d kepesertaan "
        "dipindahkan, %(conflicts)d konflik satu bantuan muncul."
    ) % {
        "source": result.source.pk, "target": result.target.pk, "members": result.moved_members,
        "enrollments": result.moved_enrollments, "conflicts": len(result.conflicts),
    }


def decision_view(model_admin, request, object_id):
    """GET: the page; POST: one decision, then back to the list (or the page with the error)."""
    match = model_admin.get_object(request, object_id)  # None for an id that is not one, as the admin's own page
    if match is None:
        return model_admin._get_obj_does_not_exist_redirect(request, model_admin.model._meta, object_id)
    if not model_admin.has_view_permission(request, match):
        raise PermissionDenied
    can_decide = match.status == IdentityStatus.OPEN and model_admin.has_change_permission(request, match)
    form = IdentityDecisionForm()
    if request.method == "POST":
        if not can_decide:
            raise PermissionDenied
        form = IdentityDecisionForm(request.POST)
        if form.is_valid():
            try:
                message = decide(match, form, request.user)
            except ValidationError as error:
                model_admin.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                model_admin.message_user(request, message, messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:dedup_identitymatch_changelist"))
    viewer = request.user
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Duplikat identitas #%(id)s") % {"id": match.pk},
        "opts": model_admin.model._meta,
        "match": match,
        "rows": comparison(match, viewer),
        "members_a": _members(match.household_a, viewer),
        "members_b": _members(match.household_b, viewer),
        "enrollments_a": _enrollments(match.household_a),
        "enrollments_b": _enrollments(match.household_b),
        "evidence": model_admin.evidence_for(match, viewer),
        "masked": not getattr(viewer, "can_see_full_nik", False),
        "can_decide": can_decide,
        "form": form,
        "decision": DECISION,
        "posted": request.POST.get("decision", ""),
        "history_url": reverse("admin:dedup_identitymatch_history", args=[match.pk]),
    }
    return TemplateResponse(request, "admin/dedup/identitymatch/decide.html", context)
