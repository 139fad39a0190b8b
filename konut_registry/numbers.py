"""How the registry writes a whole number for people: ``1.234.567``, a dot between thousands as
Indonesian does, whatever language the page is in (rupiah amounts, row counts, limits in messages), and a rupiah amount.
Plain Python, so the import's pure code may use it too; templates use ``intcomma``. And whether a
search text is a number (``identifier_digits``)."""

import re

_ASCII_DIGITS = re.compile(r"[0-9]+")


def identifier_digits(text: str) -> str | None:
    """The search text as a run of ASCII digits (spaces ignored), or None when it is not one."""
    digits = " ".join(text.split()).replace(" ", "")
    return digits if _ASCII_DIGITS.fullmatch(digits) else None


def thousands(number: int) -> str:
    """``1234567`` -> ``1.234.567``; ``-1234`` -> ``-1.234``."""
    return f"{number:,}".replace(",", ".")


def rupiah(value) -> str:
    """``1250000`` -> ``Rp 1.250.000``; empty for no amount; a value that is no number as it is."""
    if value is None or value == "":
        return ""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return str(value)
    return f"Rp {thousands(number)}"
