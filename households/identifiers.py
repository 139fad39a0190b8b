"""NIK, No KK, Kemendagri region codes and RT/RW numbers: parsing and validation. Pure Python, no Django.

Its refusals and warnings are Indonesian, as imports store them; each keeps its template and values
apart (:class:`Message`; ``gettext_noop`` below only marks the templates for the catalog), so that a
form shows them in the user's language (``households.validators``).

A NIK is 16 digits: ``pp rr dd`` issuing region (province, regency, district), ``DD`` day of birth
(+40 for women), ``MM`` month, ``YY`` two-digit year, then a 4-digit serial from 0001. A No KK has
the same shape with the card's issue date. Excel destroys such numbers when they sit in a numeric
cell (15 significant digits: the last digit becomes 0), so the importer must be able to tell a value
that went through a float from a good one.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Collection
from dataclasses import dataclass, field

# Identifiers are ASCII digits only. ``str.isdigit()`` and ``\d`` also accept fullwidth (０-９),
# Arabic-Indic (٠-٩) and superscript (¹²³) digits: such a value looks like a NIK, is not equal to
# its ASCII twin (so no duplicate is found), and some of them do not even convert with ``int()``.
_ASCII_DIGITS = re.compile(r"[0-9]+")
_DIGITS16 = re.compile(r"^[0-9]{16}$")
_SCIENTIFIC = re.compile(r"^[0-9](?:[.,][0-9]+)?[eE]\+?[0-9]+$")
_FLOAT_TEXT = re.compile(r"^[0-9]{15,17}[.,]0+$")


def is_ascii_digits(text: str) -> bool:
    """True for a non-empty run of the ASCII digits 0-9 and nothing else."""
    return bool(_ASCII_DIGITS.fullmatch(text))


def is_identifier(text: str) -> bool:
    """True for the shape of a NIK or No KK: exactly 16 ASCII digits."""
    return bool(_DIGITS16.fullmatch(text))


def _other_digits(text: str) -> bool:
    """True when the text holds a digit that is not ASCII (fullwidth, Arabic-Indic, superscript...)."""
    return any(char.isdigit() and char not in "0123456789" for char in text)


def gettext_noop(message: str) -> str:
    """Marks ``message`` for the translation catalog (``makemessages`` reads this name)."""
    return message


class Message(str):
    """An Indonesian message, as imports store it, with its ``template`` and the ``params`` that fill
    it kept apart: a form translates the template and fills it again."""

    def __new__(cls, template: str, params: dict | None = None):
        message = super().__new__(cls, template % params if params else template)
        message.template, message.params = template, params or {}
        return message


class IdentifierError(ValueError):
    """The value cannot be an identifier; ``str()`` is the Indonesian message for the user,
    ``message`` the same as a :class:`Message`."""

    def __init__(self, template: str, params: dict | None = None):
        self.message = Message(template, params)
        super().__init__(self.message)


@dataclass(slots=True)
class NikInfo:
    """A valid NIK split into its parts, with non-fatal findings in ``warnings``."""

    value: str
    region: str
    birth_date: datetime.date | None
    female: bool
    serial: str
    warnings: list[Message] = field(default_factory=list)


# Digits typed in groups (7409.0105.0180.0403, 7409-0105-0180-0403): two separators at least, so
# that a float's one dot (7409011005080001.0) is not one.
_GROUPED_DIGITS = re.compile(r"^[0-9]+(?:[.\-][0-9]+){2,}$")


def clean_digits(raw: object) -> str:
    """Text of a cell as an identifier candidate: trimmed, apostrophe, inner spaces and the dots or
    dashes between groups of digits removed."""
    if raw is None:
        return ""
    text = str(raw).strip().lstrip("'").replace(" ", "").replace("\u00a0", "")
    if _GROUPED_DIGITS.match(text):
        text = text.replace(".", "").replace("-", "")
    return text


def is_excel_damaged(raw: object, *, numeric_cell: bool = False) -> bool:
    """True when the value shows it went through an Excel number cell: a float, scientific notation,
    a ``.0`` tail, or 16 digits ending in 0 that came from a numeric cell."""
    if isinstance(raw, float):
        return True
    text = clean_digits(raw)
    if _SCIENTIFIC.match(text) or _FLOAT_TEXT.match(text):
        return True
    return numeric_cell and bool(_DIGITS16.match(text)) and text.endswith("0")


# A number as Excel shows it in scientific notation (1.22237E+08; 1,22237E+08 with a comma for the
# decimal point; 1.22237092e+08 as Python writes a float). The plus sign is what Excel always writes:
# an ID of letters and digits such as ``1E5`` is not one.
_SCIENTIFIC_ID = re.compile(r"^[0-9](?:[.,][0-9]+)?[eE]\+[0-9]+$")


def is_scientific_id(text: str) -> bool:
    """True for an ID cell that holds a number in Excel's scientific notation: the ID is lost (Excel
    keeps six significant digits in that form; two families' IDs can read the same)."""
    return bool(_SCIENTIFIC_ID.match(text))


def two_digit_year(yy: int, today: datetime.date) -> int:
    """A two-digit year in full: this century's up to ``today``'s year, else the last century's."""
    year = 2000 + yy
    return year if year <= today.year else 1900 + yy


def parse_nik(
    raw: object, *, numeric_cell: bool = False, today: datetime.date | None = None,
    home_regions: Collection[str] = (), home_label: str = "",
) -> NikInfo:
    """Validate a NIK. Raises ``IdentifierError`` when it is not usable (wrong length, letters,
    damaged by Excel, impossible date, serial 0000). ``home_regions`` are the 4-digit regency codes
    (``7409``) of the area the registry covers, named ``home_label``: a NIK issued elsewhere gets a
    warning, since residents keep the NIK of the regency that issued it."""
    if raw.__class__ is str and len(raw) == 16 and raw.isascii() and raw.isdigit():  # is_plain_nik
        # Nearly every cell: nothing to clean (the checks below would all pass).
        text = raw
        if numeric_cell and text.endswith("0"):
            raise IdentifierError(_NIK_DAMAGED)
    else:
        text = _nik_text(raw, numeric_cell)
    today = today or datetime.date.today()
    birth, female = _nik_birth(text[6:12], today)
    if text[12:] == "0000":
        raise IdentifierError(gettext_noop("Nomor urut NIK tidak boleh 0000"))
    info = NikInfo(text, text[:6], birth, female, text[12:], [])  # positional: a third of its cost
    if home_regions and text[:4] not in home_regions:
        info.warnings.append(Message(
            gettext_noop("Kode wilayah NIK %(code)s di luar wilayah yang dimuat (%(area)s)"), {"code": text[:4], "area": home_label}
        ))
    return info


def is_plain_nik(value: object) -> bool:
    """Whether a cell is a text of 16 plain digits: nearly every NIK cell, with nothing to clean."""
    return value.__class__ is str and len(value) == 16 and value.isascii() and value.isdigit()


_NIK_DAMAGED = gettext_noop("NIK rusak oleh Excel (tersimpan sebagai angka, digit terakhir hilang); ketik ulang sebagai teks")
# (DDMMYY of a NIK, today) -> (birth date, female): a few tens of thousands of dates over 300,000 people.
_NIK_BIRTHS: dict[tuple[str, datetime.date], tuple[datetime.date, bool]] = {}


def _nik_text(raw: object, numeric_cell: bool) -> str:
    """A NIK cell that is not 16 plain digits: cleaned, or the reason it cannot be a NIK."""
    if is_excel_damaged(raw, numeric_cell=numeric_cell):
        raise IdentifierError(_NIK_DAMAGED)
    text = clean_digits(raw)
    if not text:
        raise IdentifierError(gettext_noop("NIK kosong"))
    if _other_digits(text):
        raise IdentifierError(gettext_noop("NIK hanya boleh berisi angka 0-9 biasa (bukan angka lebar penuh, Arab atau superskrip)"))
    if not is_ascii_digits(text):
        raise IdentifierError(gettext_noop("NIK hanya boleh berisi angka: %(value)s"), {"value": mask(text)})
    if len(text) != 16:
        raise IdentifierError(gettext_noop("NIK harus 16 digit, bukan %(count)s digit"), {"count": len(text)})
    return text


def _nik_birth(digits: str, today: datetime.date) -> tuple[datetime.date, bool]:
    """The birth date and sex encoded in a NIK's digits 7-12 (``DDMMYY``, women's day + 40)."""
    key = (digits, today)
    try:
        return _NIK_BIRTHS[key]
    except KeyError:
        pass
    day, month, yy = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    female = day > 40
    if female:
        day -= 40
    try:
        result = datetime.date(two_digit_year(yy, today), month, day), female
    except ValueError:
        raise IdentifierError(gettext_noop("NIK memuat tanggal lahir yang tidak mungkin (digit 7-12)")) from None
    if len(_NIK_BIRTHS) < 100_000:
        _NIK_BIRTHS[key] = result
    return result


def nik_mismatch_warnings(info: NikInfo, *, birth_date: datetime.date | None, female: bool | None) -> list[Message]:
    """Warnings when the stated birth date or sex disagrees with what the NIK encodes."""
    if (female is None or female == info.female) and (birth_date is None or birth_date == info.birth_date):
        return []  # nearly every person: no comparison of parts needed
    found = []
    if female is not None and female != info.female:
        found.append(Message(gettext_noop("Jenis kelamin tidak sesuai dengan NIK")))
    if birth_date is not None and info.birth_date is not None:
        # The NIK's two year digits name one of two centuries: the year ``parse_nik`` read (this
        # century's unless that is ahead of today) or the century before (a person born in 1925
        # has the 25 of 2025). A stated year in neither (2099 for 99, read as 1999) disagrees.
        if (birth_date.day, birth_date.month) != (info.birth_date.day, info.birth_date.month) or birth_date.year not in (
            info.birth_date.year, info.birth_date.year - 100,
        ):
            found.append(Message(gettext_noop("Tanggal lahir tidak sesuai dengan NIK")))
    return found


def parse_kk(raw: object, *, numeric_cell: bool = False) -> str:
    """Validate a No KK (16 digits as text); raise ``IdentifierError`` otherwise."""
    if is_excel_damaged(raw, numeric_cell=numeric_cell):
        raise IdentifierError(gettext_noop("No KK rusak oleh Excel (tersimpan sebagai angka); ketik ulang sebagai teks"))
    text = clean_digits(raw)
    if not text:
        raise IdentifierError(gettext_noop("No KK kosong"))
    if _other_digits(text):
        raise IdentifierError(gettext_noop("No KK hanya boleh berisi angka 0-9 biasa (bukan angka lebar penuh, Arab atau superskrip)"))
    if not is_ascii_digits(text):
        raise IdentifierError(gettext_noop("No KK hanya boleh berisi angka"))
    if len(text) != 16:
        raise IdentifierError(gettext_noop("No KK harus 16 digit, bukan %(count)s digit"), {"count": len(text)})
    if text[12:] == "0000":
        raise IdentifierError(gettext_noop("Nomor urut No KK tidak boleh 0000"))
    return text


def make_nik(*, region: str, birth: datetime.date, female: bool, serial: int) -> str:
    """Build a NIK that passes ``parse_nik`` (for demo data and tests)."""
    day = birth.day + (40 if female else 0)
    return f"{region[:6]}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


def mask(value: str) -> str:
    """``740901**********``: the issuing region stays readable, the rest does not. The serial (the
    last four digits) is what must stay hidden: a NIK's other digits are the region and the birth
    date (its day plus 40 for a woman), which the pages that mask it show anyway, so a NIK whose
    serial showed could be rebuilt from the same page."""
    if not value:
        return ""
    if len(value) < 12:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 6)


# A run of digits, or of groups of digits joined by one kind of separator, as a NIK is copied from a
# family card (7409 0119 0358 2116, 7409.0119.0358.2116, 7409-0119-0358-2116). A change of separator
# ends the run: the amount in "Rp 1.500.000 7409 0119 0358 2116" is not part of the NIK after it.
_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9]+(?:([ .\-\u00a0])[0-9]+(?:\1[0-9]+)*)?(?![0-9])")
_GROUP = re.compile(r"[0-9]+")


def _quoted_numbers(text: str) -> list[tuple[int, int, str]]:
    """Where a free text quotes a NIK or No KK: (start, end, its digits) for each stretch of a run
    of digits (:data:`_DIGIT_RUN`) whose consecutive groups hold exactly 16 digits. Stretches that
    overlap (2024 7409 0119 0358 2116 reads two ways) make one: whichever is the number, its
    serial is inside. A run of another length, with no such stretch, is an ordinary number (an
    amount, a date, a phone number)."""
    found: list[tuple[int, int, str]] = []
    for run in _DIGIT_RUN.finditer(text):
        groups = list(_GROUP.finditer(text, run.start(), run.end()))
        stretches = []
        for first in range(len(groups)):
            count = 0
            for last in range(first, len(groups)):
                count += len(groups[last].group())
                if count >= 16:
                    if count == 16:
                        stretches.append((first, last))
                    break
        merged: list[list[int]] = []
        for first, last in stretches:
            if merged and first <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], last)
            else:
                merged.append([first, last])
        for first, last in merged:
            start, end = groups[first].start(), groups[last].end()
            found.append((start, end, "".join(group.group() for group in groups[first:last + 1])))
    return found


def mask_numbers(text: str) -> str:
    """Every NIK or No KK a free text (a reason, a note) quotes, in one run of 16 digits or in
    groups (:func:`_quoted_numbers`), masked as :func:`mask` masks a NIK: a text that names a NIK
    shows no more of it than its field would."""
    if not text:
        return text
    shown, kept = [], 0
    for start, end, digits in _quoted_numbers(text):
        shown += [text[kept:start], mask(digits)]
        kept = end
    return "".join(shown) + text[kept:]


# A number masked as :func:`mask_numbers` shows it: six digits and the asterisks.
_MASKED_NUMBER = re.compile(r"(?<![0-9*])[0-9]{6}\*{10,}(?![0-9*])")


def unmask_numbers(typed: str, stored: str) -> tuple[str, int]:
    """``typed``, sent back from a box that showed ``stored`` through :func:`mask_numbers` (to a
    role that sees NIKs masked), with each masked number put back as ``stored`` wrote it: saved
    unchanged, or edited around its numbers, the text keeps them. The masked numbers of one
    region stand for the stored ones in the order they appear; a masked number ``stored`` does
    not hold, one typed more often than ``stored`` holds it (another person's NIK of the same
    kecamatan, copied in masked), or one of several of a region whose count changed, is left
    masked and counted.
    Returns the text and how many masked numbers it still holds that could not be put back."""
    sources: dict[str, list[str]] = {}
    spans = [(start, end, mask(digits), stored[start:end]) for start, end, digits in _quoted_numbers(stored)]
    # A masked number already in the stored text (typed as seen elsewhere) stands for itself.
    spans += [(found.start(), found.end(), found.group(), found.group()) for found in _MASKED_NUMBER.finditer(stored)]
    for _start, _end, masked, written in sorted(spans):
        sources.setdefault(masked, []).append(written)
    wanted: dict[str, int] = {}
    for found in _MASKED_NUMBER.finditer(typed):
        wanted[found.group()] = wanted.get(found.group(), 0) + 1
    seen: dict[str, int] = {}
    lost = 0

    def put_back(found: re.Match) -> str:
        nonlocal lost
        masked = found.group()
        written = sources.get(masked, [])
        order = seen[masked] = seen.get(masked, -1) + 1
        if len(set(written)) == 1 and wanted[masked] <= len(written):
            return written[0]
        if written and wanted[masked] == len(written):
            return written[order]
        lost += 1
        return masked

    return _MASKED_NUMBER.sub(put_back, typed), lost


def region_code_plain(raw: object) -> str:
    """A Kemendagri village code without dots (``74.09.01.2006`` -> ``7409012006``; a code that went
    through a float, ``7409012006.0``, loses its tail)."""
    text = clean_digits(raw)
    if text.endswith(".0"):
        text = text[:-2]
    return text.replace(".", "")


def region_code_dotted(raw: object) -> str:
    """A village code with dots (``7409012006`` -> ``74.09.01.2006``); '' when not 10 digits."""
    plain = region_code_plain(raw)
    if len(plain) != 10 or not is_ascii_digits(plain):
        return ""
    return f"{plain[:2]}.{plain[2:4]}.{plain[4:6]}.{plain[6:]}"


# An RT or RW typed by hand: its number, perhaps after its word (``1``, ``01``, ``RT 001``, ``RW. 2``).
_TYPED_NEIGHBOURHOOD = re.compile(r"^(?:r[tw]\.?\s*)?([0-9]{1,4})$", re.IGNORECASE)


def neighbourhood_number(digits: str) -> str:
    """An RT or RW number in the registry's one form, three digits as SIKS-NG writes them: the
    number 1 of an .xls, ``1``, ``01`` and ``001`` are all ``001`` (so the same data compares unchanged
    whatever the cell's type, and whoever typed it)."""
    return f"{int(digits):03d}"


def typed_neighbourhood(value: str) -> str | None:
    """An RT or RW typed in a form as the import stores it (:func:`neighbourhood_number`); None when
    it holds no RT/RW number."""
    match = _TYPED_NEIGHBOURHOOD.match(value.strip())
    return neighbourhood_number(match.group(1)) if match else None
