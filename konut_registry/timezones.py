"""The time zone of an area of Indonesia, from its Kemendagri code (pure code, read by the settings).

Indonesia keeps three zones: WIB (UTC+7: Sumatra, Java, West and Central Kalimantan), WITA (UTC+8:
Bali, Nusa Tenggara, South, East and North Kalimantan, Sulawesi) and WIT (UTC+9: Maluku and Papua).
A province lies in one zone, so the code's first two digits decide. "Today" (a delivery date, the
latest year an enrollment may be for) and every time a page shows are the area's.
"""

from __future__ import annotations

WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"

# Provinces by their two-digit code, where the first digit alone does not decide.
_KALIMANTAN = {"61": WIB, "62": WIB, "63": WITA, "64": WITA, "65": WITA}
# By the code's first digit: 1 Sumatra, 2 Riau Islands, 3 Java, 5 Bali and Nusa Tenggara,
# 7 Sulawesi, 8 Maluku, 9 Papua.
_BY_ISLAND = {"1": WIB, "2": WIB, "3": WIB, "5": WITA, "7": WITA, "8": WIT, "9": WIT}


def area_time_zone(code: str | None, default: str = WITA) -> str:
    """The time zone of the area ``code`` names (``74.09``, ``7409``, ``33``); ``default`` when the
    code names no province known here."""
    digits = "".join(ch for ch in str(code or "") if ch.isdigit())
    province = digits[:2]
    if len(province) < 2:
        return default
    return _KALIMANTAN.get(province) or _BY_ISLAND.get(province[0], default)
