"""Indonesian personal names, normalised for comparison. Pure Python, no Django.

The same person is written many ways across P3KE, DTKS and agency lists: ``Muhammad``, ``Muh.``,
``Moh.``, ``Mochammad``, ``M.``; with or without religious and academic titles (``H.``, ``Hj.``,
``Drs.``, ``S.Pd``, ``, S.E.``); in the old spelling (``Soekarno``, ``Djamal``, ``Tjahjo``) or the new;
``Sitti`` for ``Siti``. :func:`normalize_name` maps all of these to one form so that exact comparison
(same head of family) and fuzzy comparison (:func:`name_similarity`, rapidfuzz) see the name itself.
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz

# Words that stand for Muhammad, in every spelling and abbreviation seen in the registers.
_MUHAMMAD = {
    "muhammad", "muhamad", "muhammed", "muhamed", "mohammad", "mohamad", "mohammed", "mohamed",
    "mochammad", "mochamad", "mokhammad", "mukhammad", "muchammad", "muchamad", "mohd", "moch", "mochd",
    "moh", "muh", "muhd", "mhd", "mhmd", "md",
}
# Other common abbreviations of name words.
_WORD_VARIANTS = {
    "abd": "abdul",
    "abdl": "abdul",
    "st": "siti",
    "sitti": "siti",
    "nurul": "nurul",
    "noer": "nur",
    "nuur": "nur",
}
# Titles written before the name: religious (Haji, Hajjah), honorifics and academic prefixes.
_PREFIX_TITLES = {
    "h", "hj", "hja", "haji", "hajjah", "hajah", "hajja", "drs", "dra", "dr", "ir", "prof", "ust", "ustadz",
    "ustaz", "ustadzah", "kh", "bapak", "bpk", "pak", "ibu", "bu", "sdr", "sdri", "tn", "ny", "nn", "almarhum",
    "alm", "almarhumah", "almh",
}
# Academic and professional degrees, usually after the name (often after a comma): S.Pd, S.Pd.I,
# S.E, S.H, S.Kom, S.Sos, S.Ag, S.IP, S.Kep, S.ST, M.Pd, M.Si, M.M, Amd, A.Md, Ns, ...
_DEGREES = {
    "spd", "spdi", "spdsd", "se", "sh", "skom", "ssos", "sag", "sip", "skep", "sst", "st", "sp", "ssi", "skm",
    "sfarm", "sked", "shi", "sthi", "sag", "mpd", "msi", "mm", "mh", "mkes", "mag", "mt", "mkom", "amd", "amdkeb",
    "amdkep", "ns", "bsc", "ba", "ma", "phd", "spog", "spa", "se", "ak", "mba",
}
# Old (pre-1972) spelling to the current one; applied inside words.
# Old "j" is today's "y" (Jusuf = Yusuf) and old "dj" today's "j" (Djamal = Jamal); both map to "y",
# which is lossy but consistent on both sides of a comparison, the only use of this form.
_OLD_SPELLING = [("oe", "u"), ("tj", "c"), ("dj", "j"), ("j", "y")]

_NON_LETTERS = re.compile(r"[^a-z\s]")
_SPACES = re.compile(r"\s+")
_REPEATS = re.compile(r"(.)\1+")


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _split_degrees(raw: str) -> str:
    """Drop everything after the first comma when it holds only degrees (``Budi, S.Pd., M.Si``)."""
    head, sep, tail = raw.partition(",")
    if not sep:
        return raw
    tail_words = [re.sub(r"[^a-z]", "", part) for part in re.split(r"[\s,]+", tail.lower())]
    if all(not word or word in _DEGREES for word in tail_words):
        return head
    return raw


def _tokens(raw: str) -> list[str]:
    text = _ascii(_split_degrees(raw)).lower()
    # Dotted abbreviations such as "S.Pd." or "A.Md." become one word before punctuation goes.
    text = re.sub(r"\b([a-z])\.(?=[a-z]{1,4}\b\.?)", r"\1", text)
    text = _NON_LETTERS.sub(" ", text.replace(".", ". "))
    return [word for word in _SPACES.split(text) if word]


def normalize_name(raw: str | None) -> str:
    """The comparable form of a person's name: lower case ASCII letters and single spaces, titles
    and degrees removed, Muhammad and other variants unified, old spelling modernised, doubled
    letters collapsed (``Sitti`` = ``Siti``, ``Abdullah`` = ``Abdulah``).

    >>> normalize_name("Hj. SITTI Aminah, S.Pd")
    'siti aminah'
    >>> normalize_name("Moch. Jusuf") == normalize_name("Muhammad Yusuf")
    True
    """
    if not raw:
        return ""
    words = _tokens(raw)
    # Titles only count as titles in front of the name ("H." there is Haji, later it is an initial).
    while len(words) > 1 and words[0] in _PREFIX_TITLES:
        words.pop(0)
    while len(words) > 1 and words[-1] in _DEGREES:
        words.pop()
    result = []
    for index, word in enumerate(words):
        if word in _MUHAMMAD or (word == "m" and index == 0 and len(words) > 1):
            word = "muhammad"
        word = _WORD_VARIANTS.get(word, word)
        for old, new in _OLD_SPELLING:
            word = word.replace(old, new)
        word = _REPEATS.sub(r"\1", word)
        result.append(word)
    return " ".join(result)


def name_similarity(a: str, b: str, *, normalized: bool = False) -> int:
    """0-100: how alike two names are after normalisation. The words in sorted order (``Lapodi
    Hasan`` = ``Hasan Lapodi``); and, when the names have different numbers of words, the letters
    without spaces too (``Nur Hayati`` = ``Nurhayati``). Between names of as many words the squeezed
    view would let a long shared family name outweigh different given names. ``dedup.identity``
    computes the same with ``rapidfuzz.process.cdist`` in bulk."""
    if not normalized:
        a, b = normalize_name(a), normalize_name(b)
    if not a or not b:
        return 0
    score = fuzz.token_sort_ratio(a, b)
    if a.count(" ") != b.count(" "):
        score = max(score, fuzz.ratio(squeeze(a), squeeze(b)))
    return round(score)


def squeeze(normalized: str) -> str:
    """A normalised name without its spaces."""
    return normalized.replace(" ", "")
