"""The plain django-import-export way, as a Django developer would write it for a P3KE workbook:
one ``ModelResource`` per sheet (households by ``p3ke_id``, members by ``id_individu``), the
P3KE column names mapped to fields, categorical values mapped to the models' choices through a
small widget, the village found by its Kemendagri code, the member's family by its P3KE id.
Rows are read from the same workbook with openpyxl (read-only), as import-export's own xlsx
format does.
"""

from __future__ import annotations

import datetime

from import_export import fields, resources, widgets

from households.imports.context import build_context
from households.models import Desa, Household, Member


class ChoiceWidget(widgets.CharWidget):
    """A P3KE label ("Laki-laki", "ASBES/SENG") to the model's choice code; unknown values blank."""

    def __init__(self, mapper, **kwargs):
        super().__init__(**kwargs)
        self.mapper = mapper

    def clean(self, value, row=None, **kwargs):
        code, _known = self.mapper(value)
        return code


class YesNoWidget(widgets.BooleanWidget):
    TRUE_VALUES = ["Ya", "YA", "ya", 1, True, "1"]
    FALSE_VALUES = ["Tidak", "TIDAK", "tidak", 0, False, "0"]


class IsoDateWidget(widgets.DateWidget):
    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime.datetime):
            return value.date()
        return super().clean(value, row, **kwargs)


def _choice(attribute: str, column: str, mapper) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=column, widget=ChoiceWidget(mapper))


def resources_for_p3ke():
    """``(HouseholdResource, MemberResource)`` classes bound to the registry's choices."""
    choices = build_context().choices

    class HouseholdResource(resources.ModelResource):
        p3ke_id = fields.Field(attribute="p3ke_id", column_name="ID Keluarga P3KE")
        desa = fields.Field(attribute="desa", column_name="Kode Kemdagri", widget=widgets.ForeignKeyWidget(Desa, "code_plain"))
        desil = fields.Field(attribute="desil", column_name="Desil Kesejahteraan", widget=widgets.IntegerWidget())
        updated_year = fields.Field(attribute="updated_year", column_name="Dimuktakhirkan Tahun", widget=widgets.IntegerWidget())
        persentil = fields.Field(attribute="persentil", column_name="Persentil", widget=widgets.IntegerWidget())
        verval_priority = _choice("verval_priority", "Prioritas Verval", choices["verval_priority"])
        address = fields.Field(attribute="address", column_name="Alamat")
        head_name = fields.Field(attribute="head_name", column_name="Nama Kepala Keluarga")
        head_nik = fields.Field(attribute="head_nik", column_name="NIK Kepala Keluarga")
        house_ownership = _choice("house_ownership", "Kepemilikan Rumah", choices["house_ownership"])
        has_savings = fields.Field(
            attribute="has_savings", column_name="Memiliki Simpanan Uang/Perhiasan/Ternak/Lainnya", widget=YesNoWidget()
        )
        roof_type = _choice("roof_type", "Jenis Atap", choices["roof_type"])
        roof_quality = _choice("roof_quality", "Kualitas Atap", choices["roof_quality"])
        wall_type = _choice("wall_type", "Jenis Dinding", choices["wall_type"])
        wall_quality = _choice("wall_quality", "Kualitas Dinding", choices["wall_quality"])
        floor_type = _choice("floor_type", "Jenis Lantai", choices["floor_type"])
        floor_quality = _choice("floor_quality", "Kualitas Lantai", choices["floor_quality"])
        lighting = _choice("lighting", "Sumber Penerangan", choices["lighting"])
        electricity_power = _choice("electricity_power", "Daya Listrik Terpasang", choices["electricity_power"])
        cooking_fuel = _choice("cooking_fuel", "Bahan Bakar Memasak", choices["cooking_fuel"])
        water_source = _choice("water_source", "Sumber Air Minum", choices["water_source"])
        toilet = _choice("toilet", "Memiliki fasilitas Buang Air Besar", choices["toilet"])
        stunting_risk = _choice("stunting_risk", "Resiko Stunting", choices["stunting_risk"])

        class Meta:
            model = Household
            import_id_fields = ("p3ke_id",)
            fields = (
                "p3ke_id", "desa", "desil", "updated_year", "persentil", "verval_priority", "address", "head_name",
                "head_nik", "house_ownership", "has_savings", "roof_type", "roof_quality", "wall_type",
                "wall_quality", "floor_type", "floor_quality", "lighting", "electricity_power", "cooking_fuel",
                "water_source", "toilet", "stunting_risk",
            )
            clean_model_instances = True
            skip_unchanged = True

    class MemberResource(resources.ModelResource):
        household = fields.Field(
            attribute="household", column_name="ID Keluarga P3KE", widget=widgets.ForeignKeyWidget(Household, "p3ke_id")
        )
        id_individu = fields.Field(attribute="id_individu", column_name="ID Individu")
        name = fields.Field(attribute="name", column_name="Nama")
        nik = fields.Field(attribute="nik", column_name="NIK")
        dukcapil_match = _choice("dukcapil_match", "Padan Dukcapil", choices["dukcapil_match"])
        sex = _choice("sex", "Jenis Kelamin", choices["sex"])
        relation = _choice("relation", "Hubungan dengan Kepala Keluarga", choices["relation"])
        birth_date = fields.Field(attribute="birth_date", column_name="Tanggal Lahir", widget=IsoDateWidget("%Y-%m-%d"))
        marital_status = _choice("marital_status", "Status Kawin", choices["marital_status"])
        occupation = _choice("occupation", "Pekerjaan", choices["occupation"])
        education = _choice("education", "Pendidikan", choices["education"])
        stunting_risk = _choice("stunting_risk", "Resiko Stunting", choices["stunting_risk"])

        class Meta:
            model = Member
            import_id_fields = ("id_individu",)
            fields = (
                "household", "id_individu", "name", "nik", "dukcapil_match", "sex", "relation", "birth_date",
                "marital_status", "occupation", "education", "stunting_risk",
            )
            clean_model_instances = True
            skip_unchanged = True

    return HouseholdResource, MemberResource


def read_sample(path: str, families: int):
    """The first ``families`` household rows and the member rows of those families, as two tablib
    datasets read from the workbook with openpyxl (read-only)."""
    import openpyxl
    import tablib

    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        sheet = workbook["KEPALA-KELUARGA"]
        rows = sheet.iter_rows(values_only=True)
        for row in rows:
            if row and row[0] == "ID Keluarga P3KE":
                households = tablib.Dataset(headers=[str(h) for h in row])
                break
        keys = set()
        for row in rows:
            if len(keys) >= families:
                break
            households.append(["" if v is None else v for v in row])
            keys.add(str(row[0]))
        sheet = workbook["INDIVIDU"]
        rows = sheet.iter_rows(values_only=True)
        members = tablib.Dataset(headers=[str(h) for h in next(rows)])
        seen_any = False
        for row in rows:
            if str(row[0]) in keys:
                members.append(["" if v is None else v for v in row])
                seen_any = True
            elif seen_any:
                break  # members come in family order: the sample's families are done
    finally:
        workbook.close()
    return households, members
