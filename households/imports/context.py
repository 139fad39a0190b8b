"""What parsing needs from the registry: villages, loaded regions, column layouts and choice maps,
built once per import.

``common.Context`` is the pure container the parsers take; this fills it from the database. The
column layouts and the value synonyms are the shipped rows (``fixtures/import_columns.csv``,
``fixtures/import_values.csv``) with the mappings saved in the admin laid over them.
"""

from __future__ import annotations

import datetime

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from households import models as hm
from households.models import ColumnMapping, ImportKind, ValueMapping
from households.regions import covered_villages, loaded_regions
from programs.claims import aid_programs, programs_by_spelling
from programs.models import enrollment_year_problem

from .cells import place_name
from .columns import AID_PREFIX, Layouts, builtin_rows, builtin_values
from .common import Context
from .reader import ReadError
from .rowhash import signature
from .values import AID_VALUE_FIELD, ChoiceMap, YesNoMap, norm

# The fields whose cells are matched against a model's choices.
CHOICE_FIELDS = {
    "house_ownership": hm.HouseOwnership, "roof_type": hm.RoofType, "roof_quality": hm.Quality,
    "wall_type": hm.WallType, "wall_quality": hm.Quality, "floor_type": hm.FloorType, "floor_quality": hm.Quality,
    "lighting": hm.Lighting, "electricity_power": hm.ElectricityPower, "cooking_fuel": hm.CookingFuel,
    "water_source": hm.WaterSource, "toilet": hm.Toilet, "stunting_risk": hm.StuntingRisk,
    "verval_priority": hm.VervalPriority, "sex": hm.Sex, "relation": hm.Relation,
    "marital_status": hm.MaritalStatus, "occupation": hm.Occupation, "work_status": hm.WorkStatus,
    "education": hm.Education, "dukcapil_match": hm.DukcapilMatch,
}


def layouts() -> Layouts:
    """The built-in layouts with the saved column mappings over them, the programs' aid keys, and
    each spelling of a program's names (``programs_by_spelling``) to its first key: an aid column
    named as a list names the program (``Penerima BLT DD``) is that program's."""
    rows = builtin_rows() + list(ColumnMapping.objects.values_list("layout", "header", "field"))
    programs = aid_programs()
    keys = frozenset(key for program in programs for key in program.keys)
    spellings = {spelling: program.keys[0] for spelling, program in programs_by_spelling(programs).items() if program.keys}
    return Layouts(rows, aid_keys=keys, aid_spellings=spellings)


def aid_fields() -> list[tuple[str, str]]:
    """``(penerima:<key>, program name)`` for every aid key a program lists."""
    return [(AID_PREFIX + key, program.name) for program in aid_programs() for key in program.keys]


def value_synonyms(kind: str | None) -> dict[str, dict[str, str]]:
    """Field -> {value as matched: code} for one kind of import: shipped, then saved (saved win)."""
    synonyms: dict[str, dict[str, str]] = {}
    saved = ValueMapping.objects.filter(kind__in=["", kind or ""]).order_by("kind").values_list("kind", "field", "value", "code")
    for row_kind, field_name, value, code in [*builtin_values(), *saved]:
        if row_kind in ("", kind):
            synonyms.setdefault(field_name, {})[norm(value)] = code
    return synonyms


def data_year_problem(kind: str | None, year: int | None, today: datetime.date | None = None) -> str | None:
    """Why ``year``, typed as the year of a file's data, is refused (in the active language); None when
    it may be. Central data (P3KE, DTKS, DTSEN) describes a year that has begun; a recipient list may
    plan next year's aid, as any enrollment may (``programs.models.enrollment_year_problem``)."""
    if year is None:
        return None
    if kind == ImportKind.RECIPIENTS:
        return enrollment_year_problem(year)
    this_year = (today or timezone.localdate()).year
    if year <= this_year:
        return None
    return _(
        "Tahun data %(year)s belum tiba: data pusat paling baru adalah data tahun ini (%(this_year)s). "
        "Periksa salah ketik tahun."
    ) % {"year": year, "this_year": this_year}


def build_context(*, data_year: int | None = None, today: datetime.date | None = None, kind: str | None = None) -> Context:
    """Villages, layouts and choice maps from the registry. Labels are matched in their source
    language (the P3KE spelling), whatever language the operator's session uses. A data year that
    has not begun is refused as the file would be (``ReadError``): nothing is read or written."""
    problem = data_year_problem(kind, data_year, today)
    if problem:
        raise ReadError(problem)
    by_code, by_names, names, places, candidates, bps = {}, {}, {}, {}, {}, {}
    rows = covered_villages().values_list(
        "pk", "code_plain", "name", "kecamatan__name", "kecamatan__kabupaten__name", "kecamatan__bps_code"
    )
    for pk, code_plain, name, kecamatan_name, kabupaten_name, bps_code in rows:
        by_code[code_plain] = pk
        if bps_code:
            bps[pk] = bps_code
        names[pk] = name
        places[pk] = (kecamatan_name, kabupaten_name)
        key = (place_name(kecamatan_name), place_name(name))
        candidates.setdefault(key, []).append(pk)
        # A pair that names two villages (two regencies, or a kelurahan and a desa) finds neither
        # alone: the row's Kabupaten/Kota tells those of two regencies apart (``cells.read_desa``).
        by_names[key] = None if key in by_names else pk
    several = {key: tuple(pks) for key, pks in candidates.items() if len(pks) > 1}
    regions = loaded_regions()
    synonyms = value_synonyms(kind)
    with translation.override(None):
        choices = {
            name: ChoiceMap([(code, str(label)) for code, label in enum.choices], synonyms.get(name))
            for name, enum in CHOICE_FIELDS.items()
        }
    return Context(
        desa_by_code=by_code, desa_by_names=by_names, desa_names=names, desa_places=places, desa_by_names_several=several, desa_bps=bps,
        choices=choices,
        today=today or timezone.localdate(), data_year=data_year,
        region_prefixes=regions.prefixes, region_label=regions.label, layouts=layouts(),
        regency_names=regions.names,
        aid_values=YesNoMap(synonyms.get(AID_VALUE_FIELD)),
        signature=signature(
            kind, data_year, sorted((name, sorted(values.items())) for name, values in synonyms.items()),
            sorted(by_code.items()), sorted(by_names.items(), key=repr), regions.prefixes,
            # Which regency each of a repeated pair's villages is in (only when a pair repeats, so
            # that a registry without one keeps its stored rows' hashes).
            *([sorted((key, [(pk, places[pk][1]) for pk in pks]) for key, pks in several.items())] if several else []),
        ),
    )
