"""The regions the registry covers: loading them from the Kemendagri list (``households.wilayah``),
and what imports and pages need to know about them.

``KONUT_WILAYAH`` names one regency (``74.09``) or a whole province (``74``). Loading creates the
province, regencies, kecamatan and villages that are missing and never changes or deletes a stored
one: a village renamed in the admin keeps its name when the list is loaded again, and a kecamatan or
a village whose code was corrected is known by the code the list gave it (``reference_code``), not
created again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from households import wilayah
from households.models import Desa, DesaKind, Kabupaten, Kecamatan, Provinsi
from konut_registry.admin_filters import is_database_id


@dataclass
class RegionCounts:
    """How many rows of each level a load created."""

    provinsi: int = 0
    kabupaten: int = 0
    kecamatan: int = 0
    desa: int = 0


@transaction.atomic
def regions_load(*, code: str, bps_codes: Mapping[str, str] | None = None) -> RegionCounts:
    """Create the missing regions of ``code`` (a province or a regency); return what was created.
    ``bps_codes`` maps a kecamatan's Kemendagri code to its BPS code, set on kecamatan it creates.
    Raises ``wilayah.RegionCodeError`` when ``code`` names no province or regency."""
    tree = wilayah.region_tree(code)
    bps_codes = bps_codes or {}
    created = RegionCounts()
    within = f"{tree.code}."

    provinsi = Provinsi.objects.filter(code=tree.code).first()
    if provinsi is None:
        provinsi = Provinsi.objects.create(code=tree.code, name=tree.name)
        created.provinsi += 1
    kabupaten_by_code = {k.code: k for k in Kabupaten.objects.filter(code__startswith=within)}
    # A kecamatan or a village whose code Bappeda corrected is known by the code the list gave it.
    kecamatan_by_code = {}
    for kecamatan in Kecamatan.objects.filter(Q(code__startswith=within) | Q(reference_code__startswith=within)):
        kecamatan_by_code.setdefault(kecamatan.code, kecamatan)
        if kecamatan.reference_code:
            kecamatan_by_code[kecamatan.reference_code] = kecamatan
    desa_codes = set()
    for desa_code, reference_code in Desa.objects.filter(
        Q(code__startswith=within) | Q(reference_code__startswith=within)
    ).values_list("code", "reference_code"):
        desa_codes.update((desa_code, reference_code))

    new_desa = []
    for regency in tree.regencies:
        kabupaten = kabupaten_by_code.get(regency.code)
        if kabupaten is None:
            kabupaten = Kabupaten.objects.create(code=regency.code, name=regency.name, provinsi=provinsi)
            created.kabupaten += 1
        for district in regency.districts:
            kecamatan = kecamatan_by_code.get(district.code)
            if kecamatan is None:
                kecamatan = Kecamatan.objects.create(
                    code=district.code, name=district.name, kabupaten=kabupaten, bps_code=bps_codes.get(district.code, ""),
                    reference_code=district.code,
                )
                created.kecamatan += 1
            for village in district.villages:
                if village.code not in desa_codes:
                    new_desa.append(Desa(
                        code=village.code, code_plain=village.code.replace(".", ""), name=village.name,
                        kind=DesaKind(village.kind), kecamatan=kecamatan, reference_code=village.code,
                    ))
    Desa.objects.bulk_create(new_desa, batch_size=2000)
    created.desa = len(new_desa)
    return created


@dataclass(frozen=True)
class LoadedRegions:
    """The loaded regencies as imports check them: the 4-digit code prefixes (``7409``) that a NIK
    or a village code of the covered area starts with, and the area's name for messages; each
    regency's name by its prefix (``names``, whose keys are the ``prefixes``)."""

    label: str
    villages: int
    names: dict[str, str] = field(default_factory=dict)

    @property
    def prefixes(self) -> tuple[str, ...]:
        return tuple(self.names)


def regions_label(names: list[str], provinces: list[str]) -> str:
    """``Kabupaten Konawe Utara``; two or three regencies by name; more as a count in their province."""
    if len(names) <= 3:
        return ", ".join(names)
    if len(set(provinces)) == 1:
        return f"{len(names)} kabupaten/kota di Provinsi {provinces[0]}"
    return f"{len(names)} kabupaten/kota di {len(set(provinces))} provinsi"


def covered_area() -> str:
    """``KONUT_WILAYAH`` as the Kemendagri list writes it (``7409`` is ``74.09``); as it is set when
    it is no region code."""
    try:
        return wilayah.normalize_region_code(settings.KONUT_WILAYAH)
    except wilayah.RegionCodeError:
        return str(settings.KONUT_WILAYAH)


def is_covered(code: str) -> bool:
    """True when the province or regency ``code`` (dotted) lies within the area ``KONUT_WILAYAH``
    names: ``74.02`` and ``74`` within ``74``, ``74.02`` not within ``74.09``."""
    area = covered_area()
    return code == area or code.startswith(f"{area}.")


def covered_villages():
    """The loaded villages of the covered area: those an import places rows in. A database may
    hold other regencies (set up for another area first, then ``KONUT_WILAYAH`` changed): their
    villages stay, and no row is placed in them."""
    area = covered_area()
    return Desa.objects.filter(
        Q(kecamatan__kabupaten__code=area) | Q(kecamatan__kabupaten__code__startswith=f"{area}.")
    )


def uncovered_regencies() -> list[tuple[str, str]]:
    """``(code, name)`` of each loaded regency outside the area ``KONUT_WILAYAH`` names."""
    return [
        (code, name) for code, name in Kabupaten.objects.order_by("code").values_list("code", "name")
        if not is_covered(code)
    ]


def uncovered_warning() -> str:
    """What an operator is told (by ``load_reference`` and a system check) when the database holds
    regencies outside the area ``KONUT_WILAYAH`` names, as one set up for the default area and then
    switched does: that imports refuse their rows, how to start clean, and how to cover them all
    (their province's code, when they share one). "" when every loaded regency is covered."""
    others = uncovered_regencies()
    if not others:
        return ""
    area = covered_area()
    provinces = {code[:2] for code, _name in others} | {area[:2]}
    if len(provinces) == 1 and area[:2].isdigit():
        cover = _("untuk mencakup semuanya, isi KONUT_WILAYAH dengan kode provinsinya, %(province)s") % {
            "province": area[:2]}
    else:
        cover = _("satu registri mencakup satu kabupaten/kota atau satu provinsi")
    provinces_of = dict(Provinsi.objects.values_list("code", "name"))
    return _(
        "Perhatian: basis data ini juga memuat wilayah di luar KONUT_WILAYAH (%(area)s): %(others)s. Impor menolak "
        "baris wilayah itu; data yang sudah ada di sana tetap tampil di halaman. Untuk mulai bersih, pakai basis data "
        "baru (hapus berkas SQLite-nya, atau jalankan `manage.py flush`, yang menghapus semua data), lalu jalankan "
        "migrate dan load_reference lagi; %(cover)s."
    ) % {
        "area": covered_region()[0],
        "others": regions_label([name for _code, name in others], [provinces_of.get(code[:2], "") for code, _n in others]),
        "cover": cover,
    }


def loaded_regions() -> LoadedRegions:
    """The loaded regencies within the covered area (``KONUT_WILAYAH``): imports place rows in these
    only, and name them in their messages."""
    regencies = [
        row for row in Kabupaten.objects.order_by("code").values_list("code", "name", "provinsi__name")
        if is_covered(row[0])
    ]
    return LoadedRegions(
        label=regions_label([name for _code, name, _p in regencies], [p for _c, _n, p in regencies]),
        villages=covered_villages().count(),
        names={code.replace(".", ""): name for code, name, _province in regencies},
    )


def _villages_recoded(kecamatan: Kecamatan, old_code: str, new_code: str) -> list[Desa]:
    """The villages of ``kecamatan`` with their codes moved from ``old_code`` to ``new_code`` (unsaved)."""
    villages = list(Desa.objects.filter(kecamatan=kecamatan, code__startswith=f"{old_code}.").order_by("code"))
    for desa in villages:
        desa.code = new_code + desa.code[len(old_code):]
    return villages


def kecamatan_code_clashes(*, kecamatan: Kecamatan, new_code: str) -> list[str]:
    """The codes the villages of ``kecamatan`` would take under ``new_code`` that a village of
    another kecamatan already holds."""
    codes = [desa.code for desa in _villages_recoded(kecamatan, kecamatan.code, new_code)]
    return sorted(Desa.objects.filter(code__in=codes).exclude(kecamatan=kecamatan).values_list("code", flat=True))


@transaction.atomic
def kecamatan_save(*, kecamatan: Kecamatan, old_code: str) -> int:
    """Save ``kecamatan``; when its code changed from ``old_code``, its villages' codes, which start
    with it (``Desa.clean``), take the new one, the code the Kemendagri list gave each kept. Returns
    how many villages were renumbered. Regions keep no history."""
    kecamatan.save()
    if not old_code or old_code == kecamatan.code:
        return 0
    villages = _villages_recoded(kecamatan, old_code, kecamatan.code)
    for desa in villages:
        desa.save(update_fields=["code", "code_plain"])
    return len(villages)


def has_several_regencies() -> bool:
    """True when more than one regency is loaded: pages then show and filter by kabupaten."""
    return Kabupaten.objects.count() > 1


def kabupaten_field() -> forms.ModelChoiceField:
    """A form's optional choice of one regency (``kabupaten``), every loaded one by code; offered only
    when several are loaded (``offer_kabupaten``)."""
    return forms.ModelChoiceField(
        label=gettext_lazy("Kabupaten/kota"), queryset=Kabupaten.objects.order_by("code"), required=False,
        empty_label=gettext_lazy("Semua kabupaten/kota"),
    )


def offer_kabupaten(form, *, several: bool) -> int | None:
    """A filter form's ``kabupaten`` field is offered only when several regencies are loaded; once
    one is chosen, its ``kecamatan`` field offers that regency's only (another's is refused), and
    until then every kecamatan under its regency's name.
    Returns the chosen regency's id, if any."""
    if not several:
        del form.fields["kabupaten"]
        return None
    regency = (form.data or {}).get("kabupaten")
    if not is_database_id(regency):
        # No regency chosen: a province's kecamatan listed under their regency (names repeat).
        field = form.fields["kecamatan"]
        groups: dict[str, list] = {}
        for pk, name, regency_name in field.queryset.order_by("kabupaten__code", "code").values_list("pk", "name", "kabupaten__name"):
            groups.setdefault(regency_name, []).append((pk, name))
        field.widget.choices = [("", field.empty_label), *groups.items()]
        return None
    form.fields["kecamatan"].queryset = Kecamatan.objects.filter(kabupaten_id=int(regency)).order_by("code")
    return int(regency)


def covered_region() -> tuple[str, str]:
    """The full and the short name of the area ``KONUT_WILAYAH`` names, for titles: (``Kabupaten
    Konawe Utara``, ``Konawe Utara``) or (``Provinsi Sulawesi Tenggara``, ``Sulawesi Tenggara``). Read
    from the package data, not the database, so that error pages can show it too."""
    try:
        return wilayah.region_names(settings.KONUT_WILAYAH)
    except wilayah.RegionCodeError:
        return settings.KONUT_WILAYAH, settings.KONUT_WILAYAH
