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
# people (at 26,000 families, 16,000 of its 20,000 dates hold two to five), and numpy's fixed cost
# per array, a dozen arrays per date, outweighed their few comparisons (2-3 us against 20-30 us
# for two or three names; even at five, slower from six on).
FEW_NAMES = 5


def close_pairs(names: list[str], rows: list[int] | None):
    """(i, j) with i < j of the names scoring >= the threshold, and their scores, in row-major
    order; with ``rows``, only the pairs with one of those positions (the rest are not compared)."""
    if len(names) <= FEW_NAMES:
        return _few_close_pairs(names, rows)
    # Scores well under the threshold come back as 0 (rapidfuzz stops early); the others are
    # rounded to whole numbers as before. One below the threshold: 89.6 still rounds to 90.
    cutoff = SIMILAR_NAME_THRESHOLD - 1
    left = names if rows is None else [names[i] for i in rows]
    scores = process.cdist(left, names, scorer=fuzz.token_sort_ratio, dtype=np.uint8, score_cutoff=cutoff)
    # Without spaces only where the word counts differ ("Nur Hayati" / "Nurhayati"); between names
    # of as many words it would let a long shared family name outweigh different given names.
    words = np.array([n.count(" ") for n in names])
    left_words = words if rows is None else words[rows]
    differ = left_words[:, None] != words[None, :]
    if differ.any():
        squeezed = [squeeze(n) for n in names]
        left_squeezed = squeezed if rows is None else [squeezed[i] for i in rows]
        squeezed_scores = process.cdist(left_squeezed, squeezed, scorer=fuzz.ratio, dtype=np.uint8, score_cutoff=cutoff)
        squeezed_scores[~differ] = 0
        scores = np.maximum(scores, squeezed_scores)
    if rows is None:
        first, second = np.nonzero(np.triu(scores >= SIMILAR_NAME_THRESHOLD, k=1))
        return first.tolist(), second.tolist(), scores[first, second].tolist()
    at, second = np.nonzero(scores >= SIMILAR_NAME_THRESHOLD)
    first = np.asarray(rows)[at]
    values = scores[at, second]
    keep = first != second
    first, second, values = first[keep], second[keep], values[keep]
    # Each pair once, as (lower, higher) position, in the order the whole comparison meets it.
    low, high = np.minimum(first, second), np.maximum(first, second)
    _, unique = np.unique(low * len(names) + high, return_index=True)
    return low[unique].tolist(), high[unique].tolist(), values[unique].tolist()


def _score(a: str, b: str, cutoff: int) -> int:
    """``token_sort_ratio`` of two names as ``cdist`` gives it (``dtype=np.uint8``): under the
    cutoff 0, else rounded half away from zero (92.5 is 93)."""
    return int(fuzz.token_sort_ratio(a, b, score_cutoff=cutoff) + 0.5)


def _few_close_pairs(names: list[str], rows: list[int] | None):
    """:func:`close_pairs` of a few names, pair by pair, the same pairs, scores and order. Both
    scorers are symmetric: a pair's score is the same from either side."""
    cutoff = SIMILAR_NAME_THRESHOLD - 1
    focus = None if rows is None else set(rows)
    words = [n.count(" ") for n in names]
    squeezed = None
    first, second, scores = [], [], []
    for i, a in enumerate(names):
        for j in range(i + 1, len(names)):
            if focus is not None and i not in focus and j not in focus:
                continue
            score = _score(a, names[j], cutoff)
            if words[i] != words[j]:
                if squeezed is None:
                    squeezed = [squeeze(n) for n in names]
                score = max(score, int(fuzz.ratio(squeezed[i], squeezed[j], score_cutoff=cutoff) + 0.5))
            if score >= SIMILAR_NAME_THRESHOLD:
                first.append(i)
                second.append(j)
                scores.append(score)
    return first, second, scores
