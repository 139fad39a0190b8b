"""django-import-export resources: programs (import and export) and enrollments (export only)."""

from functools import cached_property

from django.utils.translation import gettext_lazy as _
from import_export import fields, resources
from import_export.widgets import CharWidget, ForeignKeyWidget

from agencies.models import Agency
from households.regions import has_several_regencies
from konut_registry.admin_export import LabelledColumnsResource
from programs.models import Enrollment, Program


class ProgramResource(resources.ModelResource):
    agency = fields.Field(attribute="agency", column_name="agency", widget=ForeignKeyWidget(Agency, field="code"))
    # An empty cell is an empty text, not NULL (the column is NOT NULL).
    description = fields.Field(attribute="description", column_name="description", widget=CharWidget())

    class Meta:
        model = Program
        import_id_fields = ["code"]
        fields = ["code", "name", "cluster", "agency", "target_unit", "funding_source", "is_local", "p3ke_column", "quota", "active", "description"]
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False


class EnrollmentResource(LabelledColumnsResource, resources.ModelResource):
    """Export of enrollments, for people: columns named in the user's language, a status or source
    as its label. Offered as xlsx only (``programs.admin.EnrollmentAdmin.get_export_formats``), whose
    ID cells are text, so Excel keeps all 16 digits of a NIK or No KK."""

    program = fields.Field(attribute="program__code", column_name="program")
    program_name = fields.Field(attribute="program__name", column_name="nama_program")
    agency = fields.Field(attribute="program__agency__short_name", column_name="opd")
    p3ke_id = fields.Field(attribute="household__p3ke_id", column_name="id_keluarga_p3ke")
    no_kk = fields.Field(attribute="household__no_kk", column_name="no_kk")
    head_name = fields.Field(attribute="household__head_name", column_name="kepala_keluarga")
    head_nik = fields.Field(attribute="household__head_nik", column_name="nik_kepala_keluarga")
    member_nik = fields.Field(attribute="member__nik", column_name="nik_penerima")
    desa = fields.Field(attribute="household__desa__name", column_name="desa")
    # The Kemendagri code, as the portal's export writes it: names repeat, codes do not.
    desa_code = fields.Field(attribute="household__desa__code_plain", column_name="kode_desa")
    kecamatan = fields.Field(attribute="household__desa__kecamatan__name", column_name="kecamatan")
    kabupaten = fields.Field(attribute="household__desa__kecamatan__kabupaten__name", column_name="kabupaten")
    # The export page's names for columns that follow a relation (the others take the field's own).
    export_labels = {
        "id": _("ID kepesertaan"), "program": _("kode program"), "program_name": _("nama program"), "agency": _("OPD"),
        "no_kk": _("No KK"), "member_nik": _("NIK penerima"), "desa": _("desa/kelurahan"),
        "desa_code": _("kode desa/kelurahan (Kemendagri)"), "kecamatan": _("kecamatan"), "kabupaten": _("kabupaten/kota"),
    }

    class Meta:
        model = Enrollment
        fields = ["id", "program", "program_name", "agency", "p3ke_id", "no_kk", "head_name", "head_nik", "member_nik",
                  "desa", "desa_code", "kecamatan", "kabupaten", "year", "status", "amount", "delivered_on", "source"]
        export_order = fields

    @cached_property
    def _several_regencies(self) -> bool:
        return has_several_regencies()

    def get_export_order(self):
        """The regency's column only where several regencies are loaded, as in the portal's export."""
        order = super().get_export_order()
        return order if self._several_regencies else tuple(name for name in order if name != "kabupaten")

    def filter_export(self, queryset, **kwargs):
        # Every export passes here (its own queryset, or the admin's list rows, which join fewer
        # relations than the columns read): the relations the columns read, joined once.
        return super().filter_export(queryset, **kwargs).select_related(*self._related)

    _related = ("program__agency", "household__desa__kecamatan__kabupaten", "member")
