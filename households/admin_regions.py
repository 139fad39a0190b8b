"""Admin lists by region. When more than one regency is loaded (a province), a kabupaten column and
filter appear, and the kecamatan filter lists the chosen regency's kecamatan only (two hundred
names in one list would be unusable). With one regency the lists stay exactly as they were."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from konut_registry.admin_filters import is_database_id as is_id

from households.models import Kabupaten, Kecamatan
from households.regions import has_several_regencies


def _join(*parts: str) -> str:
    return "__".join(part for part in parts if part)


def on_any(paths: tuple[str, ...], lookup: str, value) -> Q:
    """Rows where ``lookup`` under any of ``paths`` has ``value``: a filter over both sides of a pair
    (a conflict's two families, its two enrollments' programs)."""
    q = Q()
    for path in paths:
        q |= Q(**{_join(path, lookup): value})
    return q


class _ClearingFilter(admin.SimpleListFilter):
    """A filter whose change clears the filters that depend on it (a kecamatan of another regency
    would leave an empty list)."""

    clears: tuple[str, ...] = ()

    def choices(self, changelist):
        for index, choice in enumerate(super().choices(changelist)):
            if index == 0:
                choice["query_string"] = changelist.get_query_string(remove=[self.parameter_name, *self.clears])
            else:
                lookup = self.lookup_choices[index - 1][0]
                choice["query_string"] = changelist.get_query_string({self.parameter_name: lookup}, list(self.clears))
            yield choice


def kabupaten_filter(
    kecamatan_path: str, *, clears: tuple[str, ...] = (), also: tuple[str, ...] = ()
) -> type[admin.SimpleListFilter]:
    """Filter by regency; ``kecamatan_path`` leads from the listed model to its kecamatan ('' for a
    kecamatan itself); a row is kept too when its kecamatan at one of ``also`` is of the regency."""
    field = _join(kecamatan_path, "kabupaten")

    class KabupatenFilter(_ClearingFilter):
        title = _("kabupaten/kota")
        parameter_name = _join(field, "id", "exact")

        def lookups(self, request, model_admin):
            return list(Kabupaten.objects.order_by("code").values_list("id", "name"))

        def queryset(self, request, queryset):
            if is_id(self.value()):
                return queryset.filter(on_any((kecamatan_path, *also), "kabupaten_id", self.value()))
            return queryset

    KabupatenFilter.clears = clears
    return KabupatenFilter


def kecamatan_filter(
    kecamatan_path: str, *, clears: tuple[str, ...] = (), also: tuple[str, ...] = ()
) -> type[admin.SimpleListFilter]:
    """Filter by kecamatan, listing those of the chosen regency only (or of the chosen kecamatan's
    regency). Its parameter is the one the plain related-field filter uses, so links and the
    village filter work either way; ``also`` as for ``kabupaten_filter``."""
    regency_parameter = _join(kecamatan_path, "kabupaten", "id", "exact")

    class KecamatanFilter(_ClearingFilter):
        title = _("kecamatan")
        parameter_name = _join(kecamatan_path, "id", "exact")

        def lookups(self, request, model_admin):
            regency = request.GET.get(regency_parameter)
            if not is_id(regency):
                # A kecamatan chosen without its regency (a link from the one-regency days): its
                # own regency's list, so that the choice is shown and applied, not dropped.
                chosen = request.GET.get(self.parameter_name)
                regency = Kecamatan.objects.filter(pk=chosen).values_list("kabupaten_id", flat=True).first() if is_id(chosen) else None
                if regency is None:
                    return []
            return list(Kecamatan.objects.filter(kabupaten_id=regency).order_by("code").values_list("id", "name"))

        def queryset(self, request, queryset):
            if is_id(self.value()):
                return queryset.filter(on_any((kecamatan_path, *also), "id", self.value()))
            return queryset

    KecamatanFilter.clears = clears
    return KecamatanFilter


class RegionListMixin:
    """For a ModelAdmin listing rows placed in a kecamatan. ``kecamatan_path`` leads from the model
    to its kecamatan ('' for Kecamatan); the kabupaten column goes after ``kabupaten_after``;
    ``region_clears`` are the filter parameters a change of region clears (the village filter).
    A row that pairs two families (a conflict, an identity duplicate) names in ``pair_kecamatan_paths``
    the paths to both families' kecamatan: the region filters keep it when either family is in the
    chosen region, and its kabupaten column names both regencies when they differ."""

    kecamatan_path = "desa__kecamatan"
    kabupaten_after = "kecamatan"
    region_clears: tuple[str, ...] = ()
    pair_kecamatan_paths: tuple[str, ...] = ()

    def _several_regencies(self, request) -> bool:
        if not hasattr(request, "_several_regencies"):
            request._several_regencies = has_several_regencies()
        return request._several_regencies

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if not self._several_regencies(request):
            return filters
        path = self.kecamatan_path
        if not path:
            return [kabupaten_filter(path), *filters]
        kecamatan_clears = self.region_clears
        regency_clears = (_join(path, "id", "exact"), *kecamatan_clears)
        also = self.pair_kecamatan_paths
        index = filters.index(path)
        filters[index:index + 1] = [
            kabupaten_filter(path, clears=regency_clears, also=also), kecamatan_filter(path, clears=kecamatan_clears, also=also),
        ]
        return filters

    def lookup_allowed(self, lookup, value, request=None):
        # The region filters read these parameters themselves; the kecamatan one replaces the plain
        # related-field filter that allowed it before.
        path = self.kecamatan_path
        if lookup in (_join(path, "kabupaten", "id", "exact"), _join(path, "id", "exact")) and path:
            return True
        if lookup == "kabupaten__id__exact" and not path:
            return True
        return super().lookup_allowed(lookup, value, request)

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if self._several_regencies(request):
            columns.insert(columns.index(self.kabupaten_after) + 1, "kabupaten")
        return columns

    def get_list_select_related(self, request):
        related = super().get_list_select_related(request)
        if not self._several_regencies(request) or related is True:
            return related
        return [*(related or ()), *(_join(path, "kabupaten") for path in self.pair_kecamatan_paths or (self.kecamatan_path,))]

    @admin.display(description=_("kabupaten/kota"))
    def kabupaten(self, obj):
        regencies = []
        for path in self.pair_kecamatan_paths or (self.kecamatan_path,):
            regency = obj
            for step in _join(path, "kabupaten").split("__"):
                regency = getattr(regency, step)
            if regency not in regencies:
                regencies.append(regency)
        return " / ".join(str(regency) for regency in regencies)
