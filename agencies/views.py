"""The agency portal: each OPD's list of target households, their detail, the actions an agency
records on its own enrollments, the export, and Bappeda's distribution of households to programs.

Every view checks the user's role and agency on the server: pages scope their queries through
``agencies.selectors``; an id outside the user's scope answers 404; read-only roles get 403 on any
write; anonymous users are sent to the login page.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from agencies import services
from agencies.decorators import portal_user_required, writer_required
from agencies.exports import household_list_xlsx_response
from agencies.presenters import history_changes, list_rows, print_rows
from agencies.filters import HouseholdFilter
from agencies.listcounts import ListMemo, ListPaginator, household_list_counts
from agencies.models import ExportKind
from agencies.tasks import household_list_recount
from agencies.templatetags.portal import format_rupiah
from agencies.forms import DeliverForm, DistributeForm, RecordedField, RejectForm
from konut_registry.admin_search import SEARCH_TOKEN, address_query, kept_out_of_addresses, searched_filters
from agencies.selectors import (
    actionable_enrollment,
    enrollment_history,
    has_portal_role,
    household_detail as select_household_detail,
    household_list_rows,
    household_print_rows,
    may_act_on,
    merged_here,
    sees_everything,
    visible_agencies,
)
from dedup.presenters import conflict_message
from households.models import Household
from households.regions import has_several_regencies
from programs.distribution import DISTRIBUTE_MAX, households_distribute, may_distribute
from programs.models import EnrollmentStatus

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
PRINT_LIMIT = 2000
MAX_CONFLICT_MESSAGES = 10


@require_safe
@login_required
def home(request):
    """Each role lands on its own home: agencies on their list, field officers on their verval
    cases, leadership on the dashboard, Bappeda on a page of links."""
    user = request.user
    if user.is_field_officer:
        return redirect("verval:my_cases")
    if user.is_agency_user and user.agency_id:
        return redirect("agencies:household_list")
    dashboard = reverse("programs:dashboard")
    if user.is_leadership and not user.is_superuser:
        return redirect(dashboard)
    if not has_portal_role(user):
        return render(request, "home.html", {"no_role": True})
    agencies = list(visible_agencies(user).order_by("order", "name"))
    return render(request, "agencies/home.html", {"agencies": agencies, "dashboard_url": dashboard})


# --- a number searched stays out of addresses (``agencies.search_tokens``) ---------------------------

def _list_filters(request, page: str, data: QueryDict | None = None) -> QueryDict | HttpResponseRedirect:
    """The list's filters for ``page`` (the list, its print or export page), or where to go instead:
    the same page with a number in the address moved into the session, or the list, which says why,
    when the token is unknown (the file or print page would take every household in scope)."""
    data = request.GET if data is None else data
    if kept_out_of_addresses(data.get("q", "")):
        return redirect(reverse(page) + f"?{address_query(request, data).urlencode()}")
    filters = searched_filters(request, data)
    if filters is None:
        messages.error(request, _("Pencarian ini tidak tersimpan lagi (sesi berganti). Ketik lagi nomornya di kotak Cari."))
        rest = data.copy()
        rest.pop(SEARCH_TOKEN)
        return redirect(reverse("agencies:household_list") + (f"?{rest.urlencode()}" if rest else ""))
    return filters


def _filterset(request, data, **kwargs) -> HouseholdFilter:
    """The list's filters from ``data`` (the address's parameters with a kept search put back,
    ``_list_filters``). A HEAD request runs the same search as a GET (its Content-Length tells
    whether a NIK matched), so a masked role's full-NIK search counts against the limit on both."""
    return HouseholdFilter(data, user=request.user, **kwargs)


def _search_refused(request, filterset: HouseholdFilter) -> HttpResponseRedirect | None:
    """Back to the list, which says why (``search_notice``), when a masked role's full-NIK search
    is over its limit: an empty file or print page would not say it."""
    filterset.qs  # runs the search
    if filterset.search_refused_until is None:
        return None
    return redirect(reverse("agencies:household_list") + f"?{request.GET.urlencode()}")


def _invalid_filters_refused(request, filterset: HouseholdFilter, message: str, to: str | None = None) -> HttpResponseRedirect | None:
    """Back to ``to`` (else the list with these filters), with ``message`` naming the filters
    (``%(filters)s``), when a filter has a value this user cannot choose: the file, the print page
    or the distribution would take every household in scope."""
    invalid = filterset.invalid_filters
    if not invalid:
        return None
    messages.error(request, message % {"filters": ", ".join(invalid)})
    return redirect(to or reverse("agencies:household_list") + f"?{request.GET.urlencode()}")


def _page_size(request) -> int:
    try:
        size = int(request.GET.get("per_page", DEFAULT_PAGE_SIZE))
    except ValueError:
        return DEFAULT_PAGE_SIZE
    return size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache  # people's names and ID numbers: no browser or proxy keeps a copy
@portal_user_required
def household_list(request):
    """Daftar keluarga sasaran: the households of an agency (or all, for Bappeda and leadership).
    After a write, a slow count shows from its last count, labelled, while the worker counts again
    (``agencies.listcounts``); "segar" counts now. The filter form posts here and is sent on to
    the list's address (a number searched as its token)."""
    if request.method == "POST":
        query = address_query(request, request.POST)
        return redirect(reverse("agencies:household_list") + (f"?{query.urlencode()}" if query else ""))
    query = _list_filters(request, "agencies:household_list")
    if isinstance(query, HttpResponseRedirect):
        return query
    fresh = query.pop("segar", None) == ["1"]
    address = request.GET.copy()
    address.pop("segar", None)
    memo = ListMemo(Household, stale_ok=True, fresh=fresh)
    filterset = _filterset(request, query, memo=memo)
    queryset = filterset.qs
    count, totals = household_list_counts(filterset)
    paginator = ListPaginator(household_list_rows(queryset, filterset.enrollment_q()), _page_size(request), count=lambda: count)
    number = request.GET.get("page")
    page = paginator.get_page(paginator.num_pages if number == "last" else number)
    if memo.recount_requested():
        household_list_recount.enqueue(user_id=request.user.pk, query=query.urlencode())
    user = request.user
    fresh_query = address.copy()
    fresh_query["segar"] = "1"
    context = {
        "filter": filterset,
        "page": page,
        "paginator": paginator,
        "totals": totals,
        "agency": filterset.scope_agency,
        "page_sizes": PAGE_SIZES,
        "page_size": paginator.per_page,
        "dashboard_url": reverse("programs:dashboard") if sees_everything(user) else None,
        "may_distribute": may_distribute(user),
        "query_string": address.urlencode(),
        # When the counts shown were counted, and whether the registry changed since.
        "counts_at": memo.computed_at,
        "counts_stale": memo.stale,
        "fresh_url": "?" + fresh_query.urlencode(),
    }
    context["rows"] = list_rows(
        page.object_list, user, back=request.get_full_path(), may_distribute=context["may_distribute"],
        several_regencies=filterset.several_regencies,
    )
    if context["may_distribute"]:
        context["distribute_form"] = DistributeForm(initial={"filters": request.GET.urlencode()})
    return render(request, "agencies/household_list.html", context)


@require_safe
@never_cache  # people's names and ID numbers: no browser or proxy keeps a copy
@portal_user_required
def household_export(request):
    """The filtered list as xlsx (logged, on a HEAD request too: it builds the same file)."""
    filters = _list_filters(request, "agencies:household_export")
    if isinstance(filters, HttpResponseRedirect):
        return filters
    filterset = _filterset(request, filters)
    if refused := _invalid_filters_refused(
        request, filterset, _("Ekspor dibatalkan: filter %(filters)s tidak valid. Perbaiki filter, lalu ekspor lagi.")
    ):
        return refused
    if refused := _search_refused(request, filterset):
        return refused
    return household_list_xlsx_response(
        queryset=filterset.qs,
        condition=filterset.enrollment_q(),
        user=request.user,
        agency=filterset.scope_agency,
        filters=filterset.active_filters(),
        several_regencies=filterset.several_regencies,
        places=filterset.chosen_places,
    )


@require_safe
@never_cache  # people's names and ID numbers: no browser or proxy keeps a copy
@portal_user_required
def household_print(request):
    """A print-friendly page of the filtered list (logged, like an export; a HEAD request too: it
    runs the same query)."""
    filters = _list_filters(request, "agencies:household_print")
    if isinstance(filters, HttpResponseRedirect):
        return filters
    filterset = _filterset(request, filters)
    if refused := _invalid_filters_refused(
        request, filterset, _("Versi cetak dibatalkan: filter %(filters)s tidak valid. Perbaiki filter, lalu cetak lagi.")
    ):
        return refused
    if refused := _search_refused(request, filterset):
        return refused
    queryset = filterset.qs
    condition = filterset.enrollment_q()
    total = queryset.count()
    rows = household_print_rows(queryset, condition, limit=PRINT_LIMIT)
    services.export_log_create(
        user=request.user, kind=ExportKind.HOUSEHOLD_LIST_PRINT, agency=filterset.scope_agency,
        filters=filterset.active_filters(), row_count=len(rows),
    )
    return render(
        request,
        "agencies/household_print.html",
        {"filter": filterset, "rows": print_rows(rows, request.user, several_regencies=filterset.several_regencies),
         "total": total, "truncated": total > len(rows), "agency": filterset.scope_agency, "print_limit": PRINT_LIMIT},
    )


@require_safe
@never_cache  # people's names and ID numbers: no browser or proxy keeps a copy
@portal_user_required
def household_detail(request, pk: int):
    """One household: members, living conditions, every aid from every agency, open conflicts."""
    user = request.user
    household = select_household_detail(user, pk)
    enrollments = household.all_enrollments
    actions = {e.pk: may_act_on(user, e) for e in enrollments}
    context = {
        "household": household,
        "several_regencies": has_several_regencies(),  # the regency beside the kecamatan, as in the list
        "members": list(household.members.all()),
        "several_heads": ", ".join(household.several_heads),
        "enrollments": [(e, actions[e.pk], _deliver_form(e) if actions[e.pk] else None) for e in enrollments],
        "conflicts": household.open_conflicts,
        "merged_here": merged_here(user, household),
        "history": history_changes(enrollment_history(household), user),
        "statuses": EnrollmentStatus,
        "back_url": _safe_back(request),
    }
    return render(request, "agencies/household_detail.html", context)


def _deliver_form(enrollment) -> DeliverForm | None:
    """The delivery form of an active enrollment (ids of its own on a page of several)."""
    if enrollment.status != EnrollmentStatus.ACTIVE:
        return None
    # Each delivery is a new stage: its day is typed; the planned value is offered until the first one.
    planned = None if enrollment.has_deliveries else enrollment.amount
    return DeliverForm(
        auto_id=f"%s-{enrollment.pk}", initial={"amount": planned, "recorded": RecordedField.of(enrollment)}
    )


def _safe_back(request) -> str:
    """Back to the list the user came from (same host only)."""
    back = request.GET.get("kembali", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) and back.startswith("/"):
        return back
    return reverse("agencies:household_list")


# --- actions on one enrollment -------------------------------------------------------------------


def _detail_redirect(request, enrollment) -> HttpResponseRedirect:
    url = reverse("agencies:household_detail", args=[enrollment.household_id])
    back = request.POST.get("kembali", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) and back.startswith("/"):
        url += "?" + urlencode({"kembali": back})
    return redirect(url)


def _report(request, result, *, done: str) -> None:
    messages.success(request, done)
    for text in result.warnings:
        messages.warning(request, text)
    _report_conflicts(request, result.conflicts, saved_ids={result.enrollment.pk})


def _report_conflicts(request, conflicts, *, saved_ids: set[int]) -> None:
    for conflict in list(conflicts)[:MAX_CONFLICT_MESSAGES]:
        saved = conflict.enrollment_a_id if conflict.enrollment_a_id in saved_ids else conflict.enrollment_b_id
        messages.warning(
            request, conflict_message(conflict, saved_enrollment_id=saved, for_agency=not request.user.is_bappeda)
        )
    hidden = len(conflicts) - MAX_CONFLICT_MESSAGES
    if hidden > 0:
        messages.warning(
            request,
            ngettext(
                "... dan %(count)s konflik satu bantuan lainnya.", "... dan %(count)s konflik satu bantuan lainnya.", hidden
            )
            % {"count": hidden},
        )


def _refuse(request, error: ValidationError) -> None:
    for text in error.messages:
        messages.error(request, text)


def _form_refused(request, form) -> None:
    """An action form's errors as messages on the page the user returns to."""
    for errors in form.errors.values():
        for text in errors:
            messages.error(request, text)


def _enrollment_for_action(request, pk: int):
    enrollment = actionable_enrollment(request.user, pk)  # 404 outside the user's scope
    if not may_act_on(request.user, enrollment):
        raise PermissionDenied(_("Anda tidak berwenang mengubah kepesertaan program OPD lain."))
    return enrollment


def _enrollment_action(request, pk: int, *, perform, done, form_class=None):
    """One portal action on one enrollment: scope and permission, the action's form when it has
    one, the service (which runs the one-aid check), then messages and back to the household."""
    enrollment = _enrollment_for_action(request, pk)
    data = {}
    if form_class is not None:
        form = form_class(request.POST)
        if not form.is_valid():
            _form_refused(request, form)
            return _detail_redirect(request, enrollment)
        data = form.cleaned_data
    try:
        result = perform(enrollment, data)
    except ValidationError as error:
        _refuse(request, error)
    else:
        saved = result.enrollment
        _report(request, result, done=done % {
            "program": enrollment.program.name, "year": enrollment.year,
            "total": format_rupiah(saved.amount) or "–",
            "latest": saved.delivered_on.strftime("%d/%m/%Y") if saved.delivered_on else "–",
        })
    return _detail_redirect(request, enrollment)


@require_POST
@writer_required
def enrollment_accept(request, pk: int):
    return _enrollment_action(
        request, pk,
        perform=lambda enrollment, _data: services.enrollment_accept(enrollment=enrollment, by=request.user),
        done=_("Keluarga diterima: %(program)s %(year)s sekarang aktif."),
    )


@require_POST
@writer_required
def enrollment_reject(request, pk: int):
    return _enrollment_action(
        request, pk, form_class=RejectForm,
        perform=lambda enrollment, data: services.enrollment_reject(
            enrollment=enrollment, reason=data["reason"], by=request.user
        ),
        done=_("Usulan %(program)s %(year)s ditolak."),
    )


@require_POST
@writer_required
def enrollment_deliver(request, pk: int):
    return _enrollment_action(
        request, pk, form_class=DeliverForm,
        perform=lambda enrollment, data: services.enrollment_mark_delivered(
            enrollment=enrollment, delivered_on=data["delivered_on"], amount=data["amount"],
            recorded=data["recorded"], by=request.user,
        ),
        done=_("Penyaluran %(program)s %(year)s dicatat: total tersalurkan %(total)s, terakhir %(latest)s."),
    )


@require_POST
@writer_required
def enrollment_complete(request, pk: int):
    return _enrollment_action(
        request, pk,
        perform=lambda enrollment, _data: services.enrollment_complete(enrollment=enrollment, by=request.user),
        done=_("Kepesertaan %(program)s %(year)s diselesaikan."),
    )


# --- Bappeda: distribute households to a program -------------------------------------------------


@require_POST
@writer_required
def household_distribute(request):
    """Propose the ticked households (or every household the list's filters select) to a program."""
    user = request.user
    if not may_distribute(user):
        raise PermissionDenied(_("Hanya Bappeda yang dapat mendistribusikan keluarga ke program."))
    form = DistributeForm(request.POST)
    filters = request.POST.get("filters", "")
    back = reverse("agencies:household_list") + (f"?{filters}" if filters else "")
    if not form.is_valid():
        _form_refused(request, form)
        return redirect(back)
    program, year = form.cleaned_data["program"], form.cleaned_data["year"]
    if form.cleaned_data["everything"]:
        searched = _list_filters(request, "agencies:household_list", QueryDict(filters))
        if isinstance(searched, HttpResponseRedirect):
            return searched
        filterset = _filterset(request, searched)
        if refused := _invalid_filters_refused(
            request, filterset, _("Distribusi dibatalkan: filter %(filters)s tidak valid. Perbaiki filter, lalu coba lagi."),
            to=back,
        ):
            return refused
        household_ids = list(filterset.qs.order_by().values_list("pk", flat=True)[: DISTRIBUTE_MAX + 1])
    else:
        household_ids = form.cleaned_data["household"]
    try:
        result = households_distribute(program=program, year=year, household_ids=household_ids, by=user)
    except ValidationError as error:
        _refuse(request, error)
        return redirect(back)
    messages.success(
        request,
        ngettext(
            "%(created)s keluarga diusulkan ke %(program)s %(year)s; %(existing)s sudah terdaftar sebelumnya; "
            "%(conflicts)s konflik satu bantuan ditandai.",
            "%(created)s keluarga diusulkan ke %(program)s %(year)s; %(existing)s sudah terdaftar sebelumnya; "
            "%(conflicts)s konflik satu bantuan ditandai.",
            len(result.created),
        )
        % {
            "created": len(result.created), "existing": result.existing, "program": program.name, "year": year,
            "conflicts": len(result.conflicts),
        },
    )
    _report_conflicts(request, result.conflicts, saved_ids={e.pk for e in result.created})
    return redirect(back)
