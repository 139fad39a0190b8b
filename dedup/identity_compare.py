"""Names of one birth date compared with each other in bulk, for the identity scan
(``dedup.identity_stream``). No Django."""

from __future__ import annotations

import numpy as np
from rapidfuzz import fuzz, process

from dedup.names import squeeze

SIMILAR_NAME_THRESHOLD = 90
# Evidence lists stay short: a whole family in two records would otherwise repeat every NIK.
MAX_EVIDENCE = 5


# Up to this many names, pairs are scored one call each: most birth dates of a regency hold a few
# people (at 26,000 families, 16,000 of its 20,000 dates hold two to five; at 150,000 over the
# province, twenty on average), and numpy's fixed cost per array, a dozen arrays per date,
# outweighed their few comparisons (at 150,000 families: 28 us against 57 us for ten names, 90 us
# against 117 us for twenty; slower from about twenty-five on).
FEW_NAMES = 20


def name_forms(normalized: str) -> tuple[str, str, str, int]:
    """What the comparison reads of a normalised name: the name, its words sorted, the name without
    spaces and its number of spaces. The scan makes them once per name met (``identity_stream``)."""
    return normalized, " ".join(sorted(normalized.split())), squeeze(normalized), normalized.count(" ")


def close_pairs(names: list[str], rows: list[int] | None, sexes: list[str] | None = None, forms: list[tuple] | None = None):
    """(i, j) with i < j of the names scoring >= the threshold, and their scores, in row-major
    order; with ``rows``, only the pairs with one of those positions (the rest are not compared);
    with ``sexes`` (one per name, empty when unknown), no pair of two different known sexes (they
    are not compared either). ``names`` as ``normalize_name`` gives them: lower-case words, single
    spaces.

    A pair's score is ``token_sort_ratio``, or where the word counts differ the better of it and the
    ``ratio`` of the names without spaces ("Nur Hayati" / "Nurhayati"; between names of as many
    words it would let a long shared family name outweigh different given names). In bulk the
    words are sorted once per name and compared with ``ratio`` (what ``token_sort_ratio`` does for
    each pair, and ``cdist`` compares many names at once with ``ratio`` alone), one block of
    people per sex, and the names without spaces only from the people of an unusual word count.
    ``forms``: the names' :func:`name_forms`, when the caller has them already."""
    if forms is None:
        forms = [name_forms(name) for name in names]
    if len(names) <= FEW_NAMES:
        return _few_close_pairs(forms, rows, sexes)
    count = len(names)
    everyone = list(range(count))
    focus = None if rows is None else set(rows)
    codes = None
    if sexes is not None and focus is None:
        classes: dict[str, list[int]] = {}
        for position, sex in enumerate(sexes):
            classes.setdefault(sex or "", []).append(position)
        unknown = classes.pop("", [])
        # Who each class is compared with: its own sex and the unknown, or everyone.
        blocks = [(members, members + unknown if unknown else members) for members in classes.values()]
        if unknown:
            blocks.append((unknown, everyone))
    else:
        blocks = [(everyone if focus is None else sorted(focus), everyone)]
        if sexes is not None:
            known: dict[str, int] = {}
            codes = np.array([known.setdefault(sex, len(known) + 1) if sex else 0 for sex in sexes])
    words = np.array([form[3] for form in forms])
    found: list[tuple] = []
    sorted_words = [form[1] for form in forms]
    for left, others in blocks:
        _hits(sorted_words, left, others, found, None)
    # Without spaces, only the pairs whose word counts differ: every one of them holds someone of
    # another word count than the date's most common (all of a scope's people, for a scope).
    if focus is not None:
        unusual = np.zeros(count, dtype=bool)
        unusual[rows] = True
    else:
        unusual = words != np.bincount(words).argmax()
    if unusual.any():
        squeezed = [form[2] for form in forms]
        for members, others in blocks:
            left = [k for k in members if unusual[k]]
            _hits(squeezed, left, others, found, words)
    if not found:
        return [], [], []
    first = np.concatenate([hit[0] for hit in found])
    second = np.concatenate([hit[1] for hit in found])
    scores = np.concatenate([hit[2] for hit in found]).astype(np.int64)
    low, high = np.minimum(first, second), np.maximum(first, second)
    key = low * count + high
    keep = low != high
    if codes is not None:
        keep &= (codes[low] == 0) | (codes[high] == 0) | (codes[low] == codes[high])
    key, low, high, scores = key[keep], low[keep], high[keep], scores[keep]
    # Each pair once, with its best score, in row-major order.
    order = np.lexsort((-scores, key))
    _, unique = np.unique(key[order], return_index=True)
    picked = order[unique]
    return low[picked].tolist(), high[picked].tolist(), scores[picked].tolist()


def _hits(strings: list[str], left: list[int], right: list[int], found: list, words) -> None:
    """The pairs of ``left`` x ``right`` positions whose ``ratio`` is >= the threshold (with
    ``words``, only those of different word counts), appended to ``found`` as three arrays."""
    if not left or not right:
        return
    # Scores well under the threshold come back as 0 (rapidfuzz stops early); the others are
    # rounded to whole numbers as before. One below the threshold: 89.6 still rounds to 90.
    scores = process.cdist(
        [strings[k] for k in left], [strings[k] for k in right], scorer=fuzz.ratio, dtype=np.uint8,
        score_cutoff=SIMILAR_NAME_THRESHOLD - 1,
    )
    at, to = np.nonzero(scores >= SIMILAR_NAME_THRESHOLD)
    if not at.size:
        return
    first, second = np.asarray(left)[at], np.asarray(right)[to]
    values = scores[at, to]
    if words is not None:
        differ = words[first] != words[second]
        first, second, values = first[differ], second[differ], values[differ]
    found.append((first, second, values))


def _few_close_pairs(forms: list[tuple], rows: list[int] | None, sexes: list[str] | None = None):
    """:func:`close_pairs` of a few names, pair by pair, the same pairs, scores and order: a score
    rounded as ``cdist`` rounds it (``dtype=np.uint8``: under the cutoff 0, else half away from
    zero, 92.5 is 93). Both scorers are symmetric: a pair's score is the same from either side."""
    cutoff = SIMILAR_NAME_THRESHOLD - 1
    focus = None if rows is None else set(rows)
    count = len(forms)
    sorted_words = [form[1] for form in forms]
    words = [form[3] for form in forms]
    sexes = sexes or [""] * count
    ratio = fuzz.ratio
    first, second, scores = [], [], []
    for i, a in enumerate(sorted_words):
        sex = sexes[i]
        for j in range(i + 1, count):
            if focus is not None and i not in focus and j not in focus:
                continue
            if sex and sexes[j] and sex != sexes[j]:
                continue
            score = int(ratio(a, sorted_words[j], score_cutoff=cutoff) + 0.5)
            if words[i] != words[j]:
                score = max(score, int(ratio(forms[i][2], forms[j][2], score_cutoff=cutoff) + 0.5))
            if score >= SIMILAR_NAME_THRESHOLD:
                first.append(i)
                second.append(j)
                scores.append(score)
    return first, second, scores
