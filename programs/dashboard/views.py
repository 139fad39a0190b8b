"""The Bappeda dashboard (coverage, the unreached, poverty pockets), its xlsx exports, and the
distribution page that turns targeting rules into proposed enrollments (``programs.distribution``).

The figures come from ``programs.dashboard.selectors``, scoped to what the user may see; the tables
are built by ``programs.dashboard.presenters``.
"""

from __future__ import annotations

import io
import re
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from agencies.decorators import portal_user_required
from dedup.models import ConflictStatus
from households.regions import has_several_regencies
from households.xlsx import Sheet, write_workbook
from konut_registry.db import fast_aggregates
from programs.dashboard import selectors
from programs.dashboard.forms import DashboardFilterForm, DistributeForm
from programs.dashboard.memo import Remember
from programs.dashboard.tasks import dashboard_recount
from programs.dashboard.presenters import TABLE_KEYS, Links, build_table, dashboard_tables, household_list_url, table_rows
from programs.dashboard.selectors import DashboardFilters
from programs.distribution import distributable_programs, distribution_plan, may_distribute, program_distribute
from programs.models import Cluster, EnrollmentStatus, Program
from programs.targeting import preview_by_kecamatan, program_q


def _filters_from_request(request, remember: Remember | None = None) -> tuple[DashboardFilterForm, DashboardFilters, str, bool]:
    """The form, the filters, the pocket order, and whether several regencies are loaded (the years
    offered kept by ``remember``)."""
    user = request.user
    years = selectors.enrollment_years(user, remember=remember)
    several = has_several_regencies()
    form = DashboardFilterForm(request.GET or None, user=user, years=years, several_regencies=several)
    data = {}
    if form.is_bound:
        form.is_valid()  # the errors are shown; cleaned_data keeps only the valid filters
        data = form.cleaned_data
    year = data.get("year") or selectors.default_year(user)
    filters = DashboardFilters(
        year=year, kecamatan=data.get("kecamatan"), cluster=data.get("cluster") or None, agency=data.get("agency"),
        kabupaten=data.get("kabupaten"),
    )
    if not form.is_bound:
        form = DashboardFilterForm(initial={"year": year}, user=user, years=years, several_regencies=several)
    return form, filters, data.get("urut") or "score", several


@portal_user_required
@require_safe
@never_cache
def dashboard(request):
    # "segar": the user asked for the figures counted now, not the last count shown while a recount runs.
    fresh = request.GET.get("segar") == "1"
    remember = Remember(request.user, stale_ok=True, fresh=fresh)
    form, filters, pocket_order, several = _filters_from_request(request, remember)
    if form.invalid_filters:
        # Whole-regency figures under a filter that seems applied would be read as the filtered
        # ones: the filters are named and no figure is shown (as the household list does).
        return render(request, "dashboard/dashboard.html", {
            "form": form, "filters": filters, "invalid_filters": form.invalid_filters, "dash": None, "tables": {},
            "charts": {}, "several_regencies": several, "can_distribute": may_distribute(request.user),
        })
    remember.for_filters(filters)
    as_of = timezone.localdate()
    dash = selectors.dashboard(
        request.user, filters, as_of=as_of, pocket_order=pocket_order, several_regencies=several, remember=remember
    )
    verval_counts = selectors.verval_counts(request.user, filters, remember=remember)
    if remember.recount_requested():
        dashboard_recount.enqueue(
            user_id=request.user.pk, filters=list(filters.key), as_of=as_of.isoformat(), several_regencies=several
        )
    fresh_query = request.GET.copy()
    fresh_query["segar"] = "1"
    links = Links(filters)
    tables = dashboard_tables(dash, links)
    query = _without_fresh(request.GET).urlencode()
    for key, table in tables.items():
        table.export_url = reverse("programs:export", args=[key]) + (f"?{query}" if query else "")
    charts = {key: table.chart for key, table in tables.items() if table.chart}
    return render(
        request,
        "dashboard/dashboard.html",
        {
            "form": form,
            "filters": filters,
            "dash": dash,
            "links": links,
            "tables": tables,
            "charts": charts,
            "cluster_label": Cluster(filters.cluster).label if filters.cluster else "",
            "can_distribute": may_distribute(request.user),
            "several_regencies": several,
            "verval_counts": verval_counts,
            # The candidate list under the dashboard's place, as the cards count it.
            "verval_place": urlencode({key: pk for key, pk in links.place.items() if pk}),
            "conflict_queue_url": _conflict_queue_url(filters),
            # When the figures shown were counted, and whether the registry changed since (then a
            # recount runs in the background and the page says so).
            "figures_at": remember.computed_at,
            "figures_stale": remember.stale,
            "fresh_url": reverse("programs:dashboard") + "?" + fresh_query.urlencode(),
        },
    )


def _conflict_queue_url(filters: DashboardFilters) -> str:
    """The admin's review queue of the year's open conflicts in the dashboard's place."""
    params = {"status__exact": ConflictStatus.OPEN, "tahun": filters.year}
    if filters.kabupaten is not None:
        params["household__desa__kecamatan__kabupaten__id__exact"] = filters.kabupaten.pk
    if filters.kecamatan is not None:
        params["household__desa__kecamatan__id__exact"] = filters.kecamatan.pk
    return reverse("admin:dedup_conflict_changelist") + "?" + urlencode(params)


def _without_fresh(query):
    """The request's parameters without "segar" (an export or a filter link never forces a recount)."""
    query = query.copy()
    query.pop("segar", None)
    return query


@portal_user_required
@require_safe
@never_cache  # figures per village and program leave the building in this file
def export(request, key: str):
    if key not in TABLE_KEYS:
        raise Http404
    form, filters, pocket_order, several = _filters_from_request(request)
    if form.invalid_filters:
        messages.error(request, _("Ekspor dibatalkan: filter %(filters)s tidak valid. Perbaiki filter, lalu ekspor lagi.") % {
            "filters": ", ".join(form.invalid_filters),
        })
        return redirect(reverse("programs:dashboard") + f"?{_without_fresh(request.GET).urlencode()}")
    with fast_aggregates():
        table = build_table(key, request.user, filters, Links(filters), timezone.localdate(), pocket_order, several)
    rows = table_rows(table)
    buffer = io.BytesIO()
    # Excel refuses : \ / ? * [ ] in a sheet name.
    sheet_title = re.sub(r"[\\/?*\[\]:]", " ", table.title)
    write_workbook(buffer, [
        Sheet(sheet_title, table.columns, rows),
        Sheet(_("Filter"), [_("Filter"), _("Nilai")], _filter_rows(filters, several)),
    ])
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    place = "".join(f"-{slugify(region.name)}" for region in (filters.kabupaten, filters.kecamatan) if region is not None)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="dasbor-{key}-{filters.year}{place}-{stamp}.xlsx"'
    return response


def _filter_rows(filters: DashboardFilters, several: bool) -> list[list]:
    """The filters an exported table was counted under (its second sheet): a regency's figures
    forwarded as a file must not read as the province's."""
    rows = [[_("Tahun kepesertaan"), filters.year]]
    if several:
        rows.append([_("Kabupaten/kota"), filters.kabupaten.name if filters.kabupaten else _("Semua kabupaten/kota")])
    rows += [
        [_("Kecamatan"), filters.kecamatan.name if filters.kecamatan else _("Semua kecamatan")],
        [_("Klaster"), str(Cluster(filters.cluster).label) if filters.cluster else _("Semua klaster")],
        [_("OPD"), str(filters.agency) if filters.agency else _("Semua OPD")],
    ]
    return rows


# --- Distribution -----------------------------------------------------------------------------------


def _require_distributor(user):
    if not may_distribute(user):
        raise PermissionDenied(_("Hanya operator Bappeda yang dapat mendistribusikan sasaran program."))


@login_required
@require_safe
def distribute_index(request):
    _require_distributor(request.user)
    return render(
        request, "dashboard/distribute_index.html", {"programs": distributable_programs(), "can_distribute": True}
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def distribute(request, code: str):
    _require_distributor(request.user)
    program = get_object_or_404(Program.objects.select_related("agency"), code=code)
    this_year = timezone.localdate().year
    several = has_several_regencies()
    if request.method == "POST":
        form = DistributeForm(request.POST, several_regencies=several)
        if form.is_valid():
            kabupaten = form.cleaned_data.get("kabupaten")
            query = urlencode({
                "year": form.cleaned_data["year"], "include_aided": "on" if form.cleaned_data["include_aided"] else "",
                **({"kabupaten": kabupaten.pk} if kabupaten else {}),
            })
            back = reverse("programs:distribute", args=[program.code]) + "?" + query
            try:
                result = program_distribute(
                    program=program,
                    year=form.cleaned_data["year"],
                    by=request.user,
                    include_aided=form.cleaned_data["include_aided"],
                    limit=form.cleaned_data["limit"],
                    kabupaten=kabupaten,
                )
            except ValidationError as error:
                for message in error.messages:
                    messages.error(request, message)
                return redirect(back)
            created, conflicts = len(result.created), len(result.conflicts)
            if created:
                messages.success(
                    request,
                    ngettext(
                        "%(n)s usulan kepesertaan %(program)s tahun %(year)s dibuat, termiskin lebih dahulu; "
                        "%(conflicts)s konflik satu bantuan ditandai untuk ditinjau Bappeda.",
                        "%(n)s usulan kepesertaan %(program)s tahun %(year)s dibuat, termiskin lebih dahulu; "
                        "%(conflicts)s konflik satu bantuan ditandai untuk ditinjau Bappeda.",
                        created,
                    )
                    % {
                        "n": number_format(created, force_grouping=True), "program": program.name,
                        "year": form.cleaned_data["year"], "conflicts": number_format(conflicts, force_grouping=True),
                    },
                )
            else:
                messages.warning(request, _("Tidak ada keluarga baru yang diusulkan: semua yang memenuhi syarat sudah terdaftar, sudah menerima bantuan, atau kuota habis."))
            return redirect(back)
    else:
        form = DistributeForm(
            request.GET if "year" in request.GET else None, initial={"year": this_year}, several_regencies=several
        )
    data = form.cleaned_data if form.is_bound and form.is_valid() else {"year": this_year, "include_aided": False}
    year = data.get("year") or this_year
    limit = data.get("limit")
    kabupaten = data.get("kabupaten")
    plan = preview = None
    to_create = 0
    if program.active:  # a switched-off program's page says so instead (its write is refused too)
        plan = distribution_plan(program, year=year, include_aided=data.get("include_aided", False), kabupaten=kabupaten)
        to_create = plan.to_create if not limit else min(plan.to_create, limit)
        # A household program's plan counts its table too; a person program's counts people, not households.
        preview = plan.preview if plan.preview is not None else preview_by_kecamatan(program_q(program), kabupaten=kabupaten)
    rules = program.targeting_rules.prefetch_related("conditions").order_by("-active", "id")
    return render(
        request,
        "dashboard/distribute.html",
        {
            "program": program,
            "form": form,
            "plan": plan,
            "year": year,
            "limit": limit,
            "kabupaten": kabupaten,
            "to_create": to_create,
            "preview": preview,
            "several_regencies": several,  # the regency of each row of the preview
            "rules": rules,
            "can_distribute": True,
            "proposed_url": household_list_url(program=program.code, year=year, status=EnrollmentStatus.PROPOSED),
        },
    )
