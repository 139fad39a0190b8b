"""What parsing needs from the registry: villages, loaded regions and choice maps, built once per import.

``common.Context`` is the pure container the parsers take; this fills it from the database.
"""

from __future__ import annotations

import datetime

from django.utils import timezone, translation

from households import models as hm
from households.models import Desa
from households.regions import loaded_regions

from .common import Context
from .values import ChoiceMap, norm

# Spellings the extracts use besides the choice labels, per field.
_SYNONYMS = {
    "sex": {"l": "L", "lk": "L", "laki laki": "L", "laki": "L", "pria": "L", "p": "P", "pr": "P", "wanita": "P"},
    "relation": {
        "istri": "pasangan", "suami": "pasangan", "kepala rumah tangga": "kepala", "anak kandung": "anak",
        "anak tiri": "anak", "anak angkat": "anak", "cucu": "lainnya", "orang tua": "lainnya", "mertua": "lainnya",
        "menantu": "lainnya", "famili lain": "lainnya", "family lain": "lainnya", "pembantu": "lainnya",
    },
    "dukcapil_match": {"ya": "padan", "tidak": "tidak_padan", "sudah padan": "padan", "belum padan": "tidak_padan"},
    "stunting_risk": {"berisiko stunting": "beresiko", "tidak berisiko stunting": "tidak_beresiko"},
}
# The fields whose cells are matched against a model's choices.
_CHOICE_FIELDS = {
    "house_ownership": hm.HouseOwnership, "roof_type": hm.RoofType, "roof_quality": hm.Quality,
    "wall_type": hm.WallType, "wall_quality": hm.Quality, "floor_type": hm.FloorType, "floor_quality": hm.Quality,
    "lighting": hm.Lighting, "cooking_fuel": hm.CookingFuel, "water_source": hm.WaterSource, "toilet": hm.Toilet,
    "stunting_risk": hm.StuntingRisk, "verval_priority": hm.VervalPriority, "sex": hm.Sex, "relation": hm.Relation,
    "marital_status": hm.MaritalStatus, "occupation": hm.Occupation, "education": hm.Education,
    "dukcapil_match": hm.DukcapilMatch,
}


def build_context(*, data_year: int | None = None, today: datetime.date | None = None) -> Context:
    """Villages and choice maps from the registry. Labels are matched in their source language
    (the P3KE spelling), whatever language the operator's session uses."""
    by_code, by_names = {}, {}
    for pk, code_plain, name, kecamatan_name in Desa.objects.values_list("pk", "code_plain", "name", "kecamatan__name"):
        by_code[code_plain] = pk
        key = (norm(kecamatan_name), norm(name))
        # A pair that names two villages (two regencies, or a kelurahan and a desa) finds neither.
        by_names[key] = None if key in by_names else pk
    regions = loaded_regions()
    with translation.override(None):
        choices = {
            name: ChoiceMap([(code, str(label)) for code, label in enum.choices], _SYNONYMS.get(name))
            for name, enum in _CHOICE_FIELDS.items()
        }
    return Context(
        desa_by_code=by_code, desa_by_names=by_names, choices=choices,
        today=today or timezone.localdate(), data_year=data_year,
        region_prefixes=regions.prefixes, region_label=regions.label,
    )

