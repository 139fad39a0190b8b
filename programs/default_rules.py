"""The default targeting rules: what each program's eligibility looks like before Bappeda edits it.

Data only; ``programs.services.default_rules_load`` writes the missing ones. Values are choice codes
(see ``households.models``); each rule has a stable ``default_key`` so that loading again never
duplicates or overwrites a rule.
"""

from __future__ import annotations

from households.models import (
    FloorType,
    HouseOwnership,
    Occupation,
    Quality,
    StuntingRisk,
    Toilet,
    WallType,
    WaterSource,
)
from programs.models import ConditionField, ConditionOperator

F_ = ConditionField
OP = ConditionOperator
P3KE_DESIL = (F_.DESIL, OP.LTE, "4")  # P3KE covers desil 1-4; unknown desil is not targeted

# (key, program code, rule name, description, conditions). Values are codes (see households.models).
DEFAULT_RULES: list[tuple[str, str, str, str, list[tuple[str, str, str]]]] = []
for _code, _label in (("bsps", "BSPS"), ("rutilahu", "RS-Rutilahu")):
    DEFAULT_RULES += [
        (f"{_code}-tanpa-rumah", _code, "Belum memiliki rumah sendiri",
         f"{_label}: keluarga miskin yang menyewa, menumpang atau tanpa rumah milik sendiri.",
         [P3KE_DESIL, (F_.HOUSE_OWNERSHIP, OP.IN, f"{HouseOwnership.RENT};{HouseOwnership.FREE};{HouseOwnership.OTHER}")]),
        (f"{_code}-lantai-tanah", _code, "Lantai tanah",
         f"{_label}: rumah berlantai tanah.", [P3KE_DESIL, (F_.FLOOR_TYPE, OP.IN, FloorType.EARTH)]),
        (f"{_code}-dinding-bambu", _code, "Dinding bambu",
         f"{_label}: rumah berdinding bambu.", [P3KE_DESIL, (F_.WALL_TYPE, OP.IN, WallType.BAMBOO)]),
        (f"{_code}-atap-jelek", _code, "Atap kualitas rendah",
         f"{_label}: atap jelek/kualitas rendah.", [P3KE_DESIL, (F_.ROOF_QUALITY, OP.IN, Quality.POOR)]),
    ]
DEFAULT_RULES += [
    ("spam-air-tidak-layak", "spam", "Sumur tidak terlindung, air permukaan atau air hujan",
     "SPAM: keluarga yang minum dari sumur tidak terlindung, sungai/danau atau air hujan.",
     [P3KE_DESIL, (F_.WATER_SOURCE, OP.IN, f"{WaterSource.UNPROTECTED_WELL};{WaterSource.SURFACE};{WaterSource.RAIN}")]),
    ("sanimas-tanpa-jamban", "sanimas", "Tanpa jamban sendiri",
     "Sanimas: keluarga tanpa fasilitas buang air besar milik sendiri.",
     [P3KE_DESIL, (F_.TOILET, OP.IN, f"{Toilet.SHARED};{Toilet.OTHER};{Toilet.EMPTY}")]),
    ("pkh-anak", "pkh", "Desil 1-2 dengan anak (0-18 tahun)",
     "PKH: keluarga sangat miskin dengan anak usia dini atau usia sekolah.",
     [(F_.DESIL, OP.LTE, "2"), (F_.MEMBER_AGE, OP.BETWEEN, "0;18")]),
    ("pkh-lansia", "pkh", "Desil 1-2 dengan lansia (60+ tahun)",
     "PKH: keluarga sangat miskin dengan anggota lanjut usia.",
     [(F_.DESIL, OP.LTE, "2"), (F_.MEMBER_AGE, OP.GTE, "60")]),
    ("pkh-ibu-hamil", "pkh", "Desil 1-2 berisiko stunting (ibu hamil/balita)",
     "PKH: P3KE tidak mencatat kehamilan; keluarga berisiko stunting menurut BKKBN mencakup ibu hamil.",
     [(F_.DESIL, OP.LTE, "2"), (F_.STUNTING_RISK, OP.IN, StuntingRisk.AT_RISK)]),
    ("pupuk-petani", "pupuk", "Keluarga petani", "Bantuan Pupuk: ada anggota keluarga bekerja sebagai petani.",
     [P3KE_DESIL, (F_.MEMBER_OCCUPATION, OP.IN, Occupation.FARMER)]),
    ("bibit-petani", "bibit", "Keluarga petani", "Bantuan Bibit: ada anggota keluarga bekerja sebagai petani.",
     [P3KE_DESIL, (F_.MEMBER_OCCUPATION, OP.IN, Occupation.FARMER)]),
    ("nelayan-nelayan", "nelayan", "Keluarga nelayan", "Bantuan Nelayan: ada anggota keluarga bekerja sebagai nelayan.",
     [P3KE_DESIL, (F_.MEMBER_OCCUPATION, OP.IN, Occupation.FISHER)]),
    ("pip-usia-sekolah", "pip", "Anak usia sekolah (6-18 tahun)",
     "PIP: setiap anak usia sekolah dari keluarga miskin (program perorangan: anak itulah penerimanya).",
     [P3KE_DESIL, (F_.MEMBER_AGE, OP.BETWEEN, "6;18")]),
    ("blt-desa-desil-1", "blt-desa", "Desil 1 yang belum menerima bantuan",
     "BLT Desa: keluarga miskin ekstrem (desil 1) yang belum menerima bantuan lain.",
     [(F_.DESIL, OP.IN, "1"), (F_.NO_AID, OP.YES, "")]),
]

# Eligibility limits (``EligibilityRule``): (key, program code, highest eligible desil, legal basis).
KEPMENSOS_2025 = "Kepmensos 79/HUK/2025"
DEFAULT_ELIGIBILITY: list[tuple[str, str, int, str]] = [
    ("kepmensos-2025-pkh", "pkh", 4, KEPMENSOS_2025),
    ("kepmensos-2025-sembako", "sembako", 5, KEPMENSOS_2025),
    ("kepmensos-2025-pbi-jk", "pbi-jk", 5, KEPMENSOS_2025),
]
