"""Cell values to what the registry stores: choice codes, dates, integers, yes/no, text.

Pure Python. Choice maps are built from ``(code, label)`` pairs (a model's ``TextChoices.choices``)
by the caller: a raw value matches a label case-insensitively with spaces trimmed; a few spellings
seen in real files are added as synonyms. Nothing here raises: each parser returns the value and,
when the cell cannot be used, an Indonesian reason.
"""

from __future__ import annotations

import datetime
import re

from households.identifiers import two_digit_year

from .reader import is_blank

EXCEL_EPOCH = datetime.date(1899, 12, 30)
_MIN_SERIAL, _MAX_SERIAL = 1, 2958465  # 01/01/1900 .. 31/12/9999
# 17/08/1980, 17-08-1980 00:00: day, month, year (a time after it ignored); ``cells.month_first``
# reads the same shape month first.
DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})[/\-.](\d{1,2})[/\-.](\d{4})(?:\s+\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T\s]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_SERIAL = re.compile(r"^\d{1,7}(?:\.\d+)?$")
# "No date" as PHP and MySQL applications (SIKS-NG, OpenSID) write it: 0000-00-00, 00-00-0000.
_ZERO_DATE = re.compile(r"^0{1,4}[/\-.]0{1,2}[/\-.]0{1,4}(?:\s+0{1,2}[:.]0{2}(?:[:.]0{2})?)?$")
# 17 Agustus 1980, 17-Agu-1980, 17 AGT 1980, 17-Aug-80: the month in words (Indonesian or English).
_DAY_MONTH_NAME_YEAR = re.compile(r"^(\d{1,2})[\s\-./]+([a-z]+)\.?[\s\-./]+(\d{4}|\d{2})$", re.IGNORECASE)
_DMY_SHORT = re.compile(r"^(\d{1,2})[/\-.](\d{1,2})[/\-.](\d{2})$")  # 17/08/80
_YMD_SLASHED = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")  # 1980/08/17
_MONTHS = {
    name: number
    for number, names in enumerate((
        ("januari", "jan"), ("februari", "pebruari", "feb", "peb"), ("maret", "mar"), ("april", "apr"),
        ("mei", "may"), ("juni", "jun"), ("juli", "jul"), ("agustus", "agu", "agt", "ags", "aug", "august"),
        ("september", "sep", "sept"), ("oktober", "okt", "oct", "october"), ("november", "nopember", "nov", "nop"),
        ("desember", "des", "dec", "december"),
    ), start=1)
    for name in names
}
_FLOAT_ID = re.compile(r"^\d+\.0+$")
# A code number as an office's export writes it: zero-padded (``01``) or through a float (``1.0``).
_CODE_NUMBER = re.compile(r"^0*(\d+?)(?:\.0+)?$")
# What offices write for "no value" in any column: read as a blank cell. NULL is how a database
# export writes a missing value; #N/A what Excel shows for a lookup that found nothing.
EMPTY_WORDS = frozenset({"kosong", "-", "--", "---", "tidak ada data", "n/a", "#n/a", "null", "(null)", "#null!"})


def norm(value: object) -> str:
    """Text of a categorical cell as matched: lower case, spaces collapsed, none around '/'. A
    whole number read from a number cell (calamine gives ``1.0``) is matched as the number the
    sheet shows and the preview lists (``1``)."""
    if value.__class__ is not str:
        if value is None:
            return ""
        if value.__class__ is float and value.is_integer():
            value = int(value)
    text = " ".join(str(value).replace("\u00a0", " ").split()).lower()
    return re.sub(r"\s*/\s*", "/", text)


def text(value: object, max_length: int | None = None) -> str:
    """A free-text cell: trimmed, inner whitespace collapsed; numbers without a ``.0`` tail."""
    if value.__class__ is str:  # nearly every cell: no other check applies
        result = " ".join(value.split())
        if len(result) <= 14 and result.lower() in EMPTY_WORDS:
            return ""
        return result[:max_length] if max_length else result
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, (datetime.date, datetime.datetime)):
        value = value.strftime("%d/%m/%Y")
    result = " ".join(str(value).split())
    if len(result) <= 14 and result.lower() in EMPTY_WORDS:
        return ""
    return result[:max_length] if max_length else result


# Excel's text formula, how a CSV keeps an id as text: ``="7409012006800001"``.
_TEXT_FORMULA = re.compile(r'^\s*=\s*"([^"]*)"\s*$')


def excel_text(value: object) -> object:
    """An identifier cell without the marks that keep Excel from reading it as a number: the
    apostrophe in front (``'122240001``, left in the cell by an export or a CSV saved from a sheet)
    and Excel's text formula (``="7409..."``) give the text they hold; anything else unchanged.
    Every identifier column reads its cells so (``id_text``, ``cells.read_nik``, ``cells.read_kk``),
    as ``identifiers.clean_digits`` does: ``'122240001`` is the family ``122240001`` is."""
    if value.__class__ is not str or not value or value[0].isdigit():  # nearly every cell
        return value
    stripped = value.strip()
    if stripped[:1] == "'":
        return stripped.lstrip("'")
    if "=" in stripped and (match := _TEXT_FORMULA.match(stripped)):
        return match.group(1)
    return value


def id_text(value: object, max_length: int | None = None) -> str:
    """An identifier cell as text (``excel_text``); one that went through a float (``122237092.0``)
    as the integer it was."""
    # Nearly every ID cell is plain digits or a whole number, given back as it is.
    if value.__class__ is str and value.isdigit() and value.isascii():
        return value[:max_length] if max_length else value
    if value.__class__ is int:
        return str(value)[:max_length] if max_length else str(value)
    value = excel_text(value)
    if value.__class__ is str and value.endswith("0") and _FLOAT_ID.match(value.strip()):
        value = value.strip().split(".")[0]
    return text(value, max_length)


def float_id(value: object) -> object:
    """A text identifier written from a float (``7409014501800001.0``) as that float, so that the
    identifier checks treat it as the number cell it was; anything else unchanged."""
    if value.__class__ is str and value.endswith("0") and _FLOAT_ID.match(value.strip()):
        return float(value)
    return value


class CodeParts(tuple):
    """A row's Kemendagri code part cells (province, regency, kecamatan, village), read as its
    Kode Kemdagri cell when the table has the parts and no whole code (``RowReader.place_cells``)."""

    __slots__ = ()


def join_code_parts(parts: tuple, widths: tuple[int, ...]) -> tuple[str, int | None]:
    """``(code, None)``: the parts as one dotted code, each number padded to its width (``74``, ``9``,
    ``1``, ``2006``: ``74.09.01.2006``); a part that holds the code up to itself (``7409012006`` as
    the village's) gives its own digits. ``("", None)`` when every part is blank; ``("", i)`` when
    part ``i`` is blank, not digits, or longer than its width."""
    if all(is_blank(cell) for cell in parts):
        return "", None
    prefix = ""
    joined = []
    for position, (cell, width) in enumerate(zip(parts, widths)):
        digits = id_text(cell)
        if not digits or not digits.isascii() or not digits.isdigit():
            return "", position
        if len(digits) == len(prefix) + width and digits.startswith(prefix) and prefix:
            digits = digits[len(prefix):]
        elif len(digits) > width:
            return "", position
        digits = digits.zfill(width)
        prefix += digits
        joined.append(digits)
    return ".".join(joined), None


def code_number(key: str) -> str | None:
    """A matched value that is a code number as the number it is (``01``, ``1.0``: ``1``); None for
    any other value."""
    match = _CODE_NUMBER.match(key)
    return match.group(1) if match else None


class ChoiceMap:
    """Raw categorical values to one model field's choice codes."""

    def __init__(self, choices, synonyms: dict[str, str] | None = None):
        # What each raw value met so far gave (raw spellings repeat across thousands of rows): the
        # row loops look here first (``cells.read_choices``) and call the map only for a new value.
        self.cache: dict[object, tuple[str, bool]] = {}
        self._by_text: dict[str, str] = {}
        self.labels: dict[str, str] = {}  # code -> its label, as messages name a value
        for code, label in choices:
            self.labels[code] = label
            self._by_text[norm(label)] = code
            self._by_text[norm(code)] = code
        for raw, code in (synonyms or {}).items():
            self._by_text[norm(raw)] = code
        # The code numbers among them by the number they are (``01``, ``1.0`` and ``1`` alike): a
        # value not found as written is looked up here (the first spelling of a number wins).
        self._by_number: dict[str, str] = {}
        for key, code in self._by_text.items():
            if (number := code_number(key)) is not None:
                self._by_number.setdefault(number, code)

    def __call__(self, value: object) -> tuple[str, bool]:
        """``(code, known)``; ``("", True)`` for a blank cell, ``("", False)`` for an unknown value."""
        try:
            return self.cache[value]
        except (KeyError, TypeError):
            pass
        result = self._match(value)
        # True == 1 == 1.0 (and False == 0): one dict key for a boolean cell and a number cell that
        # read differently ("true" is not "1"), so these are never kept.
        if len(self.cache) < 50_000 and (value.__class__ is str or value not in (0, 1)):
            try:
                self.cache[value] = result
            except TypeError:
                pass
        return result

    def _match(self, value: object) -> tuple[str, bool]:
        key = norm(value)
        if not key:
            return "", True
        code = self._by_text.get(key)
        if code is None and key in EMPTY_WORDS:
            return "", True
        if code is None and (number := code_number(key)) is not None:
            code = self._by_number.get(number)
        return (code, True) if code is not None else ("", False)


# A tick in a checklist is a yes: ✓ and ✔, √ (the sign offices type for it), V.
# A cross (x) is not here: some forms cross out who receives, others who does not.
_YES = {"ya", "y", "yes", "1", "true", "benar", "ada", "iya", "\u2713", "\u2714", "\u221a", "v"}
_NO = {"tidak", "t", "tdk", "no", "n", "0", "false", "bukan", "tidak ada"}


_YES_NO_CACHE: dict[object, tuple[bool | None, bool]] = {}


def yes_no(value: object) -> tuple[bool | None, bool]:
    """``(True/False/None, known)`` for Ya/Tidak cells."""
    try:
        return _YES_NO_CACHE[value]
    except (KeyError, TypeError):
        pass
    result = _yes_no(value)
    if len(_YES_NO_CACHE) < 10_000 and isinstance(value, str):
        _YES_NO_CACHE[value] = result
    return result


def _yes_no(value: object) -> tuple[bool | None, bool]:
    if isinstance(value, bool):
        return value, True
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value), True
    key = norm(value)
    if not key or key in EMPTY_WORDS:
        return None, True
    if key in _YES:
        return True, True
    if key in _NO:
        return False, True
    if _ZERO_ONE_TEXT.fullmatch(key):  # "1.0", "0.00": a 1/0 cell that went through a float (CSV)
        return key[0] == "1", True
    return None, False


_ZERO_ONE_TEXT = re.compile(r"[01]\.0+")

# The ``ValueMapping`` field of the cells of every aid column (``Penerima ...``, ``Bansos ...``), and
# what its codes mean.
AID_VALUE_FIELD = "penerima"
AID_VALUE_CODES = {"ya": True, "tidak": False, "": None}


class YesNoMap:
    """Ya/Tidak cells of the aid columns: ``yes_no``'s words, with the values Bappeda mapped
    (``AID_VALUE_FIELD``; value as matched -> ``AID_VALUE_CODES`` key), which win."""

    def __init__(self, mapped: dict[str, str] | None = None):
        self._mapped = {norm(value): AID_VALUE_CODES[code] for value, code in (mapped or {}).items() if code in AID_VALUE_CODES}
        self._cache: dict[str, tuple[bool | None, bool]] = {}

    def __call__(self, value: object) -> tuple[bool | None, bool]:
        """``(True/False/None, known)``, as ``yes_no``."""
        if not self._mapped:
            return yes_no(value)
        try:
            return self._cache[value]
        except (KeyError, TypeError):
            pass
        key = norm(value)
        result = (self._mapped[key], True) if key in self._mapped else yes_no(value)
        # Only text is kept: True == 1 == 1.0 would share a key though they read differently.
        if value.__class__ is str and len(self._cache) < 10_000:
            self._cache[value] = result
        return result


BUILTIN_YES_NO = YesNoMap()


_DATE_CACHE: dict[str, tuple[datetime.date | None, str | None]] = {}


def parse_date(value: object) -> tuple[datetime.date | None, str | None]:
    """A date from a date cell, ``d/m/yyyy [hh:mm]``, ISO ``yyyy-mm-dd``, an Excel serial number, or
    the less common forms ``_other_date`` reads; ``0000-00-00`` is no date.
    Date texts repeat (a few tens of thousands of birth dates over 300,000 people): parsed once,
    one shared ``date`` each."""
    if value is None:
        return None, None
    if value.__class__ is str:
        try:
            return _DATE_CACHE[value]
        except KeyError:
            result = _parse_date(value)
            if len(_DATE_CACHE) < 200_000:
                _DATE_CACHE[value] = result
            return result
    return _parse_date(value)


def _is_empty(value: object) -> bool:
    return is_blank(value) or (value.__class__ is str and len(value) <= 14 and value.strip().lower() in EMPTY_WORDS)


def _parse_date(value: object) -> tuple[datetime.date | None, str | None]:
    if _is_empty(value):
        return None, None
    if isinstance(value, datetime.datetime):
        return value.date(), None
    if isinstance(value, datetime.date):
        return value, None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _from_serial(float(value), value)
    raw = str(value).strip()
    if raw[:1] == "0" and _ZERO_DATE.match(raw):
        return None, None  # no date, as the application that wrote the file says it
    if len(raw) == 10 and raw[4] == "-":
        try:
            return datetime.date.fromisoformat(raw), None
        except ValueError:
            pass
    try:
        match = DAY_MONTH_YEAR.match(raw)
        if match:
            day, month, year = (int(g) for g in match.groups())
            return datetime.date(year, month, day), None
        match = _ISO.match(raw)
        if match:
            year, month, day = (int(g) for g in match.groups())
            return datetime.date(year, month, day), None
    except ValueError:
        return None, f"Tanggal tidak mungkin: '{raw}'"
    if _SERIAL.match(raw):
        return _from_serial(float(raw), raw)
    try:
        found = _other_date(raw)
    except ValueError:
        return None, f"Tanggal tidak mungkin: '{raw}'"
    if found is not None:
        return found, None
    return None, f"Format tanggal tidak dikenal: '{raw}' (gunakan dd/mm/yyyy, yyyy-mm-dd atau tanggal Excel)"


def _other_date(raw: str) -> datetime.date | None:
    """The less common ways offices write a date: the month in words (``17 Agustus 1980``,
    ``17-Aug-80``), a two-digit year (``17/08/80``), ``1980/08/17``, eight digits (``17081980`` or
    ``19800817``); None for none of them. A two-digit year is this century's up to this year,
    else the last century's (a birth date). Raises ``ValueError`` for an impossible date."""
    if match := _DAY_MONTH_NAME_YEAR.match(raw):
        month = _MONTHS.get(match.group(2).lower())
        if month is None:
            return None
        return datetime.date(_full_year(match.group(3)), month, int(match.group(1)))
    if match := _DMY_SHORT.match(raw):
        return datetime.date(_full_year(match.group(3)), int(match.group(2)), int(match.group(1)))
    if match := _YMD_SLASHED.match(raw):
        return datetime.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    if len(raw) == 8 and raw.isdigit():
        year = int(raw[:4])
        if 1900 <= year <= 2100 and 1 <= int(raw[4:6]) <= 12:
            return datetime.date(year, int(raw[4:6]), int(raw[6:]))
        return datetime.date(int(raw[4:]), int(raw[2:4]), int(raw[:2]))
    return None


def _full_year(text: str) -> int:
    return int(text) if len(text) == 4 else two_digit_year(int(text), datetime.date.today())


# A period rather than a day (a DTSEN release): "Maret 2025", "03/2025", "Triwulan I 2025", "TW 1 2025".
_MONTH_YEAR = re.compile(r"^([a-z]+|\d{1,2})[\s/\-.]+(\d{4})$", re.IGNORECASE)
_QUARTER_YEAR = re.compile(r"^(?:triwulan|tw|kuartal|q)\.?\s*(iv|iii|ii|i|[1-4])[\s/\-.]+(\d{4})$", re.IGNORECASE)
_QUARTERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


def parse_period(value: object) -> tuple[datetime.date | None, str | None]:
    """A date, or a month or quarter given as a period, as its first day (``Maret 2025``:
    01/03/2025; ``Triwulan II 2025``: 01/04/2025); otherwise ``parse_date``'s problem."""
    when, problem = parse_date(value)
    if problem is None or value.__class__ is not str:
        return when, problem
    raw = value.strip()
    if match := _MONTH_YEAR.match(raw):
        month = int(match.group(1)) if match.group(1).isdigit() else _MONTHS.get(match.group(1).lower())
        if month and 1 <= month <= 12:
            return datetime.date(int(match.group(2)), month, 1), None
    if match := _QUARTER_YEAR.match(raw):
        quarter = _QUARTERS.get(match.group(1).lower()) or int(match.group(1))
        return datetime.date(int(match.group(2)), 3 * quarter - 2, 1), None
    return None, problem


def _from_serial(serial: float, raw: object) -> tuple[datetime.date | None, str | None]:
    if not (_MIN_SERIAL <= serial <= _MAX_SERIAL):
        return None, f"Nomor tanggal Excel di luar jangkauan: {raw}"
    return EXCEL_EPOCH + datetime.timedelta(days=int(serial)), None


def parse_int(value: object, *, low: int | None = None, high: int | None = None, label: str = "Nilai") -> tuple[int | None, str | None]:
    """An integer cell (``3``, ``3.0``, ``"3"``), optionally within ``[low, high]``."""
    number: int | None = None
    if value.__class__ is float and value.is_integer():  # nearly every number cell
        number = int(value)
    elif _is_empty(value):
        return None, None
    elif isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        raw = str(value).strip()
        if re.fullmatch(r"[+]?\d+(?:[.,]0+)?", raw):
            number = int(re.split(r"[.,]", raw.lstrip("+"))[0])
    if number is None:
        return None, f"{label} harus bilangan bulat, bukan '{value}'"
    if (low is not None and number < low) or (high is not None and number > high):
        return None, f"{label} harus antara {low} dan {high}, bukan {number}"
    return number, None


# A desil with the words some files write around its number: ``Desil 3``, ``D3``, ``Desil-2``,
# ``1 (Sangat Miskin)``, ``1 - Sangat Miskin``, ``1. Sangat Miskin`` (a list's numbering). ``1.0`` is
# not one of them: a number, read as such.
_DESIL_WORDS = re.compile(r"^(?:(?:desil|d)\s*[-.:]?)?\s*(\d{1,2})(?:\s*[-.:(]?\s*[a-z][a-z ]*\)?)?$", re.IGNORECASE)


def desil_cell(value: object) -> object:
    """A desil cell without the words some files write around the number (``_DESIL_WORDS``)."""
    if value.__class__ is str and not value.isdigit() and (match := _DESIL_WORDS.match(value.strip())):
        return match.group(1)
    return value


# Rupiah as offices type it, spaces removed: ``Rp``/``Rp.``/``IDR`` in front; thousands grouped by
# one separator (``1.250.000``, ``1,250,000``) or none; a decimal part of zeros (``,00``, ``.0``);
# ``,-`` at the end ("no cents", ``Rp 750.000,-``).
_RUPIAH = re.compile(
    r"(?:rp|idr)?\.?(?P<whole>\d{1,3}(?P<sep>[.,])\d{3}(?:(?P=sep)\d{3})*|\d+)(?:[.,](?P<cents>\d{1,2}))?(?:[.,]?-)?",
    re.ASCII,
)


def parse_rupiah(value: object) -> tuple[int | None, str | None]:
    """An amount in rupiah: ``1250000``, ``1.250.000``, ``Rp 1.250.000``, ``Rp. 1.250.000,-``,
    ``Rp1.250.000,00``, ``1,250,000``, ``1250000.0``. A part below one rupiah (``750.000,50``) is
    refused rather than read as thousands."""
    if _is_empty(value):
        return None, None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < 0 or (isinstance(value, float) and not value.is_integer()):
            return None, f"Nominal tidak sah: {value}"
        return int(value), None
    raw = str(value).strip().lower().replace(" ", "").replace("\u00a0", "")
    found = _RUPIAH.fullmatch(raw)
    if found is None:
        return None, f"Nominal harus angka rupiah, bukan '{value}'"
    if found["cents"] and int(found["cents"]):
        return None, f"Nominal tidak sah: '{value}' (rupiah tanpa sen, mis. Rp 750.000)"
    return int(found["whole"].replace(".", "").replace(",", "")), None
