"""A birth date's few names are scored pair by pair, many names in bulk: the same pairs, scores and
order either way."""

import random

from dedup import identity_compare
from dedup.identity_compare import close_pairs

NAMES = [
    "nur hayati", "nurhayati", "wa ode nurhayati", "muhammad ridwan", "muh ridwan", "la ode ahmad", "ahmad la ode",
    "siti aminah", "sitti aminah", "", "abcdefghijklmnopqrst abcdefghijklmnopqrst",
    # 92.5 by both scorers: rounded half away from zero (93), as the bulk comparison stores it
    "xbcdefghijklmnopqrs yabcdefghijklmnopqrsz",
]


def _bulk(names, rows, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(identity_compare, "FEW_NAMES", 0)
        return tuple(list(map(int, values)) for values in close_pairs(names, rows))


def test_few_names_are_scored_as_the_bulk_comparison_scores_them(monkeypatch):
    assert close_pairs(NAMES[-2:], None) == ([0], [1], [93])
    rng = random.Random(5)
    for _ in range(400):
        names = [rng.choice(NAMES) for _ in range(rng.randint(2, identity_compare.FEW_NAMES))]
        for rows in (None, sorted(rng.sample(range(len(names)), rng.randint(1, len(names))))):
            assert tuple(close_pairs(names, rows)) == _bulk(names, rows, monkeypatch), (names, rows)
