"""How the registry writes a whole number for people: ``1.234.567``, a dot between thousands as
Indonesian does, whatever language the page is in (rupiah amounts, row counts, limits in messages), and a rupiah amount.
Plain Python, so the import's pure code may use it too; templates use ``intcomma``."""


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
