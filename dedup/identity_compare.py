"""Names of one birth date compared with each other in bulk, for the identity scan
(``dedup.identity_stream``). No Django."""

from __future__ import annotations

import numpy as np
from rapidfuzz import fuzz, process

from dedup.names import squeeze

SIMILAR_NAME_THRESHOLD = 90
# Evidence lists stay short: a whole family in two records would otherwise repeat every NIK.
MAX_EVIDENCE = 5


def close_pairs(names: list[str], rows: list[int] | None):
    """(i, j) with i < j of the names scoring >= the threshold, and their scores, in row-major
    order; with ``rows``, only the pairs with one of those positions (the rest are not compared)."""
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
