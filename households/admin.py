"""Registry admin for Bappeda: regions, households with their members and every aid they receive."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.functional import lazy
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy
from konut_registry.admin_autocomplete import PostedAutocompleteMixin
from konut_registry.admin_search import SearchKeptOutOfAddressMixin
from konut_registry.admin_filters import is_database_id
from konut_registry.admin_history import ReadOnlyHistoryAdmin
from konut_registry.numbers import thousands

from dedup import membership
from dedup.models import Conflict, ConflictStatus, with_merge_decisions
from households.models import DataSource, Desa, Household, Kabupaten, Kecamatan, Member, Provinsi
from households.identifiers import typed_neighbourhood
from households.regions import covered_region, kecamatan_code_clashes, kecamatan_save, loaded_regions
from households.validators import family_nik_repeats, identifier_warnings, person_nik_warnings
from programs.models import Enrollment

from .admin_regions import RegionListMixin
from .imports import admin as imports_admin  # noqa: F401  (ImportBatch upload, preview and confirm)
from . import admin_mappings  # noqa: F401  (the import column and value mappings)
from . import checks  # noqa: F401  (the system check: regions loaded outside KONUT_WILAYAH)

# The whole admin's header and title name the area KONUT_WILAYAH covers, when a page is drawn (in
# the page's language): the regions live here.
admin.site.site_header = lazy(lambda: gettext("Registri Kemiskinan %(region)s") % {"region": covered_region()[1]}, str)()
admin.site.site_title = lazy(lambda: gettext("Registri %(region)s") % {"region": covered_region()[1]}, str)()


def warn_identifiers(request, record, form, *names: str, person: bool = False) -> None:
    """After a save: what an import would warn about the identifiers the form changed (a NIK issued
    outside the loaded regions, a stated sex or birth date the NIK contradicts). Errors never get
    here: the model's ``clean`` refused them with the importer's own rules."""
    changed = set(form.changed_data)
    if not changed & {*names, *(("sex", "birth_date") if person else ())}:
        return
    regions = loaded_regions()
    if person:
        texts = person_nik_warnings(record, name=str(record), home_regions=regions.prefixes, home_label=regions.label)
    else:
        texts = [
            _("Periksa %(field)s: %(warning)s") % {"field": record._meta.get_field(name).verbose_name, "warning": warning}
            for name, warning in identifier_warnings(record, *names, home_regions=regions.prefixes, home_label=regions.label)
        ]
    for text in texts:
        messages.warning(request, text)


@admin.register(Provinsi)
class ProvinsiAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["name", "code"]


@admin.register(Kabupaten)
class KabupatenAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "provinsi", "kecamatan_count"]
    list_select_related = ["provinsi"]
    search_fields = ["name", "code"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_kecamatan_count=Count("kecamatan_set"))

    @admin.display(description=_("jumlah kecamatan"), ordering="_kecamatan_count")
    def kecamatan_count(self, obj):
        return obj._kecamatan_count


class KecamatanForm(forms.ModelForm):
    """A kecamatan's code corrected carries its villages' codes along (``regions.kecamatan_save``):
    refused when one of them would take a code another village holds."""

    def clean(self):
        cleaned = super().clean()
        code = cleaned.get("code")
        if self.instance.pk and code and code != self.instance.code:
            clashes = kecamatan_code_clashes(kecamatan=self.instance, new_code=code)
            if clashes:
                self.add_error("code", ngettext(
                    "Kode desa/kelurahan %(codes)s sudah dipakai desa/kelurahan lain: desa/kelurahan kecamatan ini "
                    "ikut berganti kode. Perbaiki dulu kode desa/kelurahan itu.",
                    "Kode desa/kelurahan %(codes)s sudah dipakai desa/kelurahan lain: desa/kelurahan kecamatan ini "
                    "ikut berganti kode. Perbaiki dulu kode desa/kelurahan itu.",
                    len(clashes),
                ) % {"codes": ", ".join(clashes)})
        return cleaned


@admin.register(Kecamatan)
class KecamatanAdmin(RegionListMixin, admin.ModelAdmin):
    form = KecamatanForm
    kecamatan_path = ""
    kabupaten_after = "name"
    list_display = ["code", "name", "bps_code", "desa_count"]
    search_fields = ["name", "code"]
    ordering = ["code"]
    readonly_fields = ["reference_code"]

    def save_model(self, request, obj, form, change):
        old_code = form.initial.get("code", "") if change else ""
        renumbered = kecamatan_save(kecamatan=obj, old_code=old_code)
        if renumbered:
            self.message_user(request, ngettext(
                "Kode %(n)s desa/kelurahan kecamatan ini ikut diganti: kini diawali %(code)s.",
                "Kode %(n)s desa/kelurahan kecamatan ini ikut diganti: kini diawali %(code)s.",
                renumbered,
            ) % {"n": renumbered, "code": obj.code}, messages.INFO)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_desa_count=Count("desa_set"))

    @admin.display(description=_("jumlah desa/kelurahan"), ordering="_desa_count")
    def desa_count(self, obj):
        return obj._desa_count


@admin.register(Desa)
class DesaAdmin(RegionListMixin, admin.ModelAdmin):
    kecamatan_path = "kecamatan"
    list_display = ["code", "name", "kind", "kecamatan"]
    list_filter = ["kecamatan", "kind"]
    list_select_related = ["kecamatan"]
    search_fields = ["name", "code", "code_plain", "kecamatan__name"]
    ordering = ["code"]
    readonly_fields = ["reference_code"]


class DesaFilter(admin.SimpleListFilter):
    """Villages of the chosen kecamatan only: a regency's villages (170 in Konawe Utara) in one list
    would be unusable, and names repeat across kecamatan."""

    title = _("desa/kelurahan")
    parameter_name = "desa"

    def lookups(self, request, model_admin):
        kecamatan = request.GET.get("desa__kecamatan__id__exact")
        if not is_database_id(kecamatan):
            return []
        return list(Desa.objects.filter(kecamatan_id=kecamatan).values_list("id", "name"))

    def queryset(self, request, queryset):
        if is_database_id(self.value()):
            return queryset.filter(desa_id=self.value())
        return queryset


def refuse_family_nik_repeats(member_forms, *, household_id: int | None) -> None:
    """One NIK held by two present members of a family is refused, as the import refuses it
    (``family_nik_repeats``): on the later of two forms, and on a form taking the NIK of a present
    member of the family that no form shows. NIKs the forms exchange between themselves are compared
    as they will be saved; a member marked absent holds no one's place."""
    checked = [
        form for form in member_forms
        if form.instance.nik and not form.instance.is_absent and "nik" not in form.errors
        and not form.cleaned_data.get("DELETE")
    ]
    if not checked:
        return
    refused = family_nik_repeats(
        [(form.instance.nik, form.instance.name) for form in checked],
        family=Member.objects.filter(household_id=household_id) if household_id is not None else None,
        besides=[form.instance.pk for form in member_forms if form.instance.pk is not None],
    )
    for index, text in refused.items():
        checked[index].add_error("nik", ValidationError(text, code="family_nik"))


class MemberFormSet(forms.BaseInlineFormSet):
    """The household form's members: no NIK twice among the family's present members."""

    def clean(self):
        super().clean()
        refuse_family_nik_repeats(
            [form for form in self.forms if form.has_changed() or form.instance.pk is not None],
            household_id=self.instance.pk,
        )


class MemberForm(forms.ModelForm):
    """One member's form: its NIK is no other present member's of the family it is saved in."""

    def validate_unique(self):
        super().validate_unique()
        refuse_family_nik_repeats([self], household_id=self.instance.household_id)


class MemberInline(admin.StackedInline):
    """The family's members, one block each with its fields on three lines: eleven columns side by
    side would not fit an office screen."""

    model = Member
    formset = MemberFormSet
    extra = 0
    fields = [
        ("name", "nik", "id_individu"), ("sex", "birth_date", "relation", "marital_status"),
        ("occupation", "education", "dukcapil_match", "is_absent", "is_deceased"),
    ]
    # Absence is set by imports and by the "mark absent/present" actions, which re-check the rule; a
    # death by an approved field verification.
    readonly_fields = ["is_absent", "is_deceased"]
    show_change_link = True
    classes = ["konut-members"]


class NeighbourhoodField(forms.CharField):
    """An RT or RW read as the import stores it (``typed_neighbourhood``: ``1`` is ``001``), so that
    typing ``1`` over a stored ``001`` is no change: no history row, nothing logged as changed. What
    holds no RT/RW number is left as typed, for the model's check to refuse with its message."""

    def to_python(self, value):
        value = super().to_python(value)
        return (typed_neighbourhood(value) or value) if value else value


class HouseholdForm(forms.ModelForm):
    class Meta:
        field_classes = {"rt": NeighbourhoodField, "rw": NeighbourhoodField}


def _absent_action(model_label: str, *, absent: bool, description, done):
    """The list action marking the selected records absent from (or present in) the newest data,
    through ``dedup.membership`` (which re-checks the one-aid rule in the same transaction). The
    identity duplicates of their families are looked for again: those the change ended close, those
    it brings back open again."""
    mark = membership.households_mark_absent if model_label == "household" else membership.members_mark_absent

    @admin.action(description=description, permissions=["change"])
    def action(modeladmin, request, queryset):
        records = list(queryset)
        changed = mark(**{f"{model_label}s": records, "absent": absent, "by": request.user})
        modeladmin.message_user(request, done % {"n": changed}, messages.SUCCESS)
        check_new_identities(
            request, [record.pk if model_label == "household" else record.household_id for record in records],
            changed=bool(changed),
        )

    action.__name__ = f"mark_{'absent' if absent else 'present'}"
    return action


class MergeForm(forms.Form):
    keep = forms.TypedChoiceField(label=_("Keluarga yang dipertahankan"), coerce=int, widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Alasan"), required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))

    def __init__(self, *args, households, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keep"].choices = [(h.pk, f"{h} (#{h.pk}, {h.desa})") for h in households]


class AidInline(admin.TabularInline):
    """Every aid the household receives, from every agency: what prevents double aid. Read-only here;
    enrollments are written through their own page so that the one-aid check runs."""

    model = Enrollment
    extra = 0
    can_delete = False
    fields = ["program_link", "agency", "member", "year", "status", "amount_rp", "delivered_on", "source"]
    readonly_fields = fields
    verbose_name = _("bantuan yang diterima")
    verbose_name_plural = _("bantuan yang diterima (semua OPD)")

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("program__agency", "member")

    @admin.display(description=_("program"))
    def program_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:programs_enrollment_change", args=[obj.pk]), obj.program.name)

    @admin.display(description=_("OPD"))
    def agency(self, obj):
        return obj.program.agency

    @admin.display(description=_("nilai (Rp)"))
    def amount_rp(self, obj):
        return thousands(obj.amount) if obj.amount is not None else "-"


def check_new_identities(request, household_ids, *, changed: bool) -> None:
    """After a save that changed something (a save of an unchanged form finds nothing new): look
    for the identity duplicates of these households (the same No KK or NIK on another record) and
    say what was found, with the way to the list Bappeda reviews them in."""
    if not changed:
        return
    found = membership.identities_checked(household_ids)
    if found.new:
        messages.warning(request, format_html(
            gettext('Ditemukan {} duplikat identitas baru (No KK atau NIK yang sama di catatan lain): <a href="{}">tinjau</a>.'),
            found.new, reverse("admin:dedup_identitymatch_changelist") + "?status__exact=open",
        ))


@admin.register(Household)
class HouseholdAdmin(SearchKeptOutOfAddressMixin, RegionListMixin, ReadOnlyHistoryAdmin):
    form = HouseholdForm
    region_clears = ("desa",)
    list_display = ["head_name", "p3ke_id", "no_kk", "desa", "kecamatan", "desil", "source", "is_absent"]
    list_filter = ["desa__kecamatan", DesaFilter, "desil", "source", "is_absent", "house_ownership", "water_source", "toilet", "stunting_risk"]
    list_select_related = ["desa__kecamatan"]
    search_fields = ["head_name", "=head_nik", "=no_kk", "=p3ke_id", "=members__nik", "members__name"]
    search_help_text = _("Cari nama, NIK (16 digit), No KK atau ID Keluarga P3KE.")
    autocomplete_fields = ["desa"]
    # Merging and absence go through the actions (``dedup.membership``), never a hand edit.
    # The desil's source and ranking date are the record of which ranking the desil is (a later
    # file ranked before it does not replace it): shown beside it, never typed; a desil typed here
    # is the operator's, dated the day it was typed (``save_model``).
    readonly_fields = [
        "desil_source", "desil_date", "data_notes",
        "open_conflicts", "merged_here", "is_absent", "absent_reason", "merged_into", "last_batch", "raw_values", "created_at", "updated_at",
    ]
    inlines = [MemberInline, AidInline]
    actions = ["merge_two", "mark_absent", "mark_present"]
    list_per_page = 50
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["head_name", "head_nik", "no_kk", "p3ke_id", "desa", "address", "dusun", "rt", "rw", ("desil", "desil_source", "desil_date"), "persentil", "data_notes"]}),
        (_("Konflik satu bantuan"), {"fields": ["open_conflicts"]}),
        (_("Kondisi tempat tinggal"), {"fields": [
            "house_ownership", ("roof_type", "roof_quality"), ("wall_type", "wall_quality"), ("floor_type", "floor_quality"),
            "lighting", "electricity_power", "cooking_fuel", "water_source", "toilet", "has_savings", "stunting_risk",
        ]}),
        (_("Sumber data"), {"fields": ["source", "source_year", "updated_year", "verval_priority", "is_absent", "absent_reason", "merged_into", "last_batch", "raw_values", "created_at", "updated_at"]}),
    ]

    mark_absent = _absent_action(
        "household", absent=True, description=_("Tandai tidak ada di data terbaru"),
        done=ngettext_lazy(
            "%(n)d keluarga ditandai tidak ada di data terbaru.",
            "%(n)d keluarga ditandai tidak ada di data terbaru.",
            "n",
        ),
    )
    mark_present = _absent_action(
        "household", absent=False, description=_("Tandai ada di data terbaru"),
        done=ngettext_lazy(
            "%(n)d keluarga ditandai ada di data terbaru.",
            "%(n)d keluarga ditandai ada di data terbaru.",
            "n",
        ),
    )

    def save_model(self, request, obj, form, change):
        """A desil typed by hand is no longer the central data's ranking: it is recorded as the
        operator's (``Input manual``), ranked today (the registry's time zone), so that the page and the exports
        do not credit DTSEN or P3KE with it and a later file compares its own ranking date with the
        day of the correction. A form that leaves the desil as it was leaves its source and date."""
        if "desil" in form.changed_data:
            obj.desil_source, obj.desil_date = DataSource.MANUAL, timezone.localdate()
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        """After the household and its members are saved: one re-check of the one-aid rule for it,
        in the admin's transaction (a corrected NIK or head NIK can make or end a double aid)."""
        super().save_related(request, form, formsets, change)
        membership.household_changed(household=form.instance, by=request.user)
        warn_identifiers(request, form.instance, form, "head_nik", "no_kk")
        for formset in formsets:
            if formset.model is Member:
                for member_form in formset.forms:
                    if member_form.instance.pk is not None and member_form not in formset.deleted_forms:
                        warn_identifiers(request, member_form.instance, member_form, "nik", person=True)
        check_new_identities(
            request, [form.instance.pk], changed=form.has_changed() or any(formset.has_changed() for formset in formsets)
        )

    @admin.action(description=_("Gabungkan dua catatan keluarga yang sama"), permissions=["change"])
    def merge_two(self, request, queryset):
        households = list(queryset.select_related("desa").order_by("pk")[:3])
        if len(households) != 2:
            self.message_user(request, _("Pilih tepat dua keluarga untuk digabung."), messages.ERROR)
            return None
        form = MergeForm(request.POST if "apply" in request.POST else None, households=households)
        if form.is_valid():
            target = next(h for h in households if h.pk == form.cleaned_data["keep"])
            source = next(h for h in households if h.pk != target.pk)
            try:
                result = membership.household_merge(source=source, target=target, by=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                self.message_user(
                    request,
                    ngettext(
                        "Keluarga #%(source)s digabung ke #%(target)s; %(n)d konflik satu bantuan terbuka.",
                        "Keluarga #%(source)s digabung ke #%(target)s; %(n)d konflik satu bantuan terbuka.",
                        len(result.conflicts),
                    ) % {"source": source.pk, "target": target.pk, "n": len(result.conflicts)},
                    messages.SUCCESS,
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Gabungkan dua catatan keluarga"),
            "intro": _("Anggota dan kepesertaan keluarga yang lain pindah ke keluarga yang dipertahankan; catatannya "
                       "disimpan, ditandai digabung. Aturan satu bantuan diperiksa ulang untuk keduanya."),
            "form": form,
            "objects": households,
            "action": "merge_two",
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/households/household/merge.html", context)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.merged_from.exists():
            fieldsets = [*fieldsets[:2], (_("Keluarga yang digabung ke sini"), {"fields": ["merged_here"]}), *fieldsets[2:]]
        return fieldsets

    @admin.display(description=_("catatan data"))
    def data_notes(self, obj):
        """What the family's page says of its data: a desil corrected here, more than one head."""
        notes = []
        if obj.pk is not None and (kept := obj.desil_correction):
            given, source = kept
            notes.append(gettext("Desil adalah koreksi lokal; %(source)s memberi desil %(desil)s.") % {
                "source": source or gettext("data sumber"), "desil": given,
            })
        if obj.pk is not None and (heads := obj.several_heads):
            notes.append(gettext(
                "Lebih dari satu anggota tercatat sebagai kepala keluarga: %(names)s. Kepala keluarga ini menurut data "
                "keluarganya: %(head)s. Hubungan keluarga anggota yang lain perlu diperiksa dan diperbaiki."
            ) % {"names": ", ".join(heads), "head": obj.head_name})
        return format_html_join(mark_safe("<br>"), "{}", ((note,) for note in notes)) if notes else "-"

    @admin.display(description=_("catatan yang digabung"))
    def merged_here(self, obj):
        sources = with_merge_decisions(obj, list(obj.merged_from.select_related("desa").order_by("pk")))
        return format_html_join(mark_safe("<br>"), '<a href="{}">#{} {}</a> - {}{}', (
            (
                reverse("admin:households_household_change", args=[source.pk]), source.pk, source.head_name, source.desa,
                format_html(' · <a href="{}">{}</a>', reverse("admin:dedup_identitymatch_change", args=[source.decision.pk]),
                            gettext("keputusan duplikat #%(id)s") % {"id": source.decision.pk})
                if source.decision else "",
            )
            for source in sources
        ))

    def get_search_results(self, request, queryset, search_term):
        # The pickers (an enrollment's or a member's family) offer only records that stand for a
        # family: one merged into another takes no aid and no people.
        if getattr(request.resolver_match, "url_name", None) == "autocomplete":
            queryset = queryset.filter(merged_into__isnull=True)
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("kecamatan"), ordering="desa__kecamatan__name")
    def kecamatan(self, obj):
        return obj.desa.kecamatan

    @admin.display(description=_("konflik terbuka"))
    def open_conflicts(self, obj):
        if obj.pk is None:
            return "-"
        conflicts = (
            Conflict.objects.filter(status=ConflictStatus.OPEN)
            .filter(Q(household=obj) | Q(enrollment_a__household=obj) | Q(enrollment_b__household=obj))
            .select_related("enrollment_a__program", "enrollment_b__program")
            .distinct()
        )
        if not conflicts:
            return _("Tidak ada konflik terbuka.")
        return format_html_join(
            mark_safe("<br>"),
            '<a href="{}">#{}</a>: {} {} + {} {}',
            (
                (
                    reverse("admin:dedup_conflict_change", args=[c.pk]), c.pk,
                    c.enrollment_a.program.name, c.enrollment_a.year, c.enrollment_b.program.name, c.enrollment_b.year,
                )
                for c in conflicts
            ),
        )


@admin.register(Member)
class MemberAdmin(SearchKeptOutOfAddressMixin, PostedAutocompleteMixin, RegionListMixin, ReadOnlyHistoryAdmin):
    kecamatan_path = "household__desa__kecamatan"
    kabupaten_after = "desa"
    list_display = ["name", "nik", "household", "desa", "sex", "birth_date", "relation", "dukcapil_match"]
    list_filter = ["household__desa__kecamatan", "sex", "relation", "occupation", "education", "dukcapil_match", "is_absent"]
    list_select_related = ["household__desa"]
    search_fields = ["name", "=nik", "=id_individu", "=household__no_kk"]
    search_help_text = _("Cari nama, NIK atau No KK.")
    form = MemberForm
    autocomplete_fields = ["household"]
    readonly_fields = ["is_absent", "is_deceased", "last_batch", "raw_values", "created_at", "updated_at"]
    actions = ["mark_absent", "mark_present"]
    list_per_page = 50
    show_full_result_count = False

    mark_absent = _absent_action(
        "member", absent=True, description=_("Tandai tidak ada di data terbaru"),
        done=ngettext_lazy(
            "%(n)d anggota ditandai tidak ada di data terbaru.",
            "%(n)d anggota ditandai tidak ada di data terbaru.",
            "n",
        ),
    )
    mark_present = _absent_action(
        "member", absent=False, description=_("Tandai ada di data terbaru"),
        done=ngettext_lazy(
            "%(n)d anggota ditandai ada di data terbaru.",
            "%(n)d anggota ditandai ada di data terbaru.",
            "n",
        ),
    )

    def save_model(self, request, obj, form, change):
        """Save, then (same transaction) let the member's person-level enrollments follow a move to
        another family and re-check the one-aid rule for the families involved. A form saved as it
        was opened writes nothing (no history row that changes nothing)."""
        if change and not form.has_changed():
            return
        previous = form.initial.get("household") if change else None
        super().save_model(request, obj, form, change)
        membership.member_changed(member=obj, previous_household_id=previous, by=request.user)
        warn_identifiers(request, obj, form, "nik", person=True)
        check_new_identities(request, [obj.household_id, previous], changed=form.has_changed())

    @admin.display(description=_("desa/kelurahan"), ordering="household__desa__name")
    def desa(self, obj):
        return obj.household.desa
