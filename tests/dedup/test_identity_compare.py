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


def test_many_names_are_scored_as_pair_by_pair_whatever_the_sexes_and_the_scope(monkeypatch):
    """In bulk the words are sorted once per name and compared with ``ratio``, the people of each
    sex apart and the names without spaces only from an unusual word count: the same pairs, scores
    and order as scoring every pair, leaving out two different known sexes."""
    rng = random.Random(11)
    found = 0
    pool = NAMES + ["nur hayati lapodi", "nurhayati lapodi", "ahmad", "la ode nur", "wa ode nur"]
    for _ in range(150):
        count = rng.randint(identity_compare.FEW_NAMES + 1, 80)
        names = [rng.choice(pool) for _ in range(count)]
        sexes = [rng.choice(["L", "P", "L", "P", ""]) for _ in range(count)] if rng.random() < 0.8 else None
        for rows in (None, sorted(rng.sample(range(count), rng.randint(1, count)))):
            bulk = tuple(list(map(int, values)) for values in close_pairs(names, rows, sexes))
            with monkeypatch.context() as patch:
                patch.setattr(identity_compare, "FEW_NAMES", count)
                one_by_one = close_pairs(names, rows, sexes)
            assert bulk == tuple(one_by_one), (names, sexes, rows)
            found += len(bulk[0])
    assert found > 1000  # the names repeat: there was much to compare
