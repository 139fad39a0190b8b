"""The identity scan limited to some households finds, for them, exactly what the whole scan finds
(same pairs, members, scores and evidence), each once, and nothing about the other records."""

import datetime
import random

import pytest

from dedup.identity import find_identity_matches
from dedup.models import IdentityKind, IdentityMatch
from dedup.services import identity_scan
from households.identifiers import make_nik
from households.models import Desa, Household, Member, Relation, Sex
from tests.factories import HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db

BIRTHS = [datetime.date(1982, 6, 14), datetime.date(1990, 2, 1), datetime.date(2011, 9, 30)]
GIVEN = ["Muhammad", "Muh.", "Ahmad", "Siti", "Sitti", "Nur", "Nurhayati", "Wa Ode", "La Ode"]
FAMILY = ["Haera", "Hera", "Tosuli", "Lapodi", "Sabara", ""]


def rows(matches):
    return [
        (m.kind, m.household_a_id, m.household_b_id, m.member_a_id, m.member_b_id, m.score, m.evidence)
        for m in matches
    ]


def of(found, scope):
    return sorted((row for row in found if row[1] in scope or row[2] in scope), key=repr)


@pytest.fixture
def crowded_registry(reference):
    """Sixty families in two villages sharing NIKs, family cards, heads and look-alike names: every
    kind of identity duplicate, many times, some households in several; one merged away, absent
    members."""
    rng = random.Random(7)
    villages = list(Desa.objects.order_by("code")[:2])
    niks = [make_nik(region="740905", birth=BIRTHS[k % 3], female=False, serial=k + 1) for k in range(40)]
    kks = [f"74090514068200{k:02d}" for k in range(25)]
    households = []
    for index in range(60):
        head = f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}".strip()
        household = HouseholdFactory(
            head_name=head, head_nik=rng.choice(niks + [""] * 20), no_kk=rng.choice(kks + [""] * 10),
            desa=villages[index % 2],
        )
        households.append(household)
        for position in range(rng.randint(1, 4)):
            Member.objects.create(
                household=household, name=f"{rng.choice(GIVEN)} {rng.choice(FAMILY)} {rng.choice(FAMILY)}".strip(),
                nik=rng.choice(niks + [""] * 10), birth_date=rng.choice(BIRTHS + [None]),
                sex=rng.choice([Sex.MALE, Sex.FEMALE, ""]), relation=Relation.HEAD if position == 0 else Relation.CHILD,
                is_absent=rng.random() < 0.1,
            )
    Household.objects.filter(pk=households[5].pk).update(merged_into=households[6])
    return households


def test_a_limited_scan_finds_what_the_whole_scan_finds_for_its_households(crowded_registry):
    whole = rows(find_identity_matches())
    assert {row[0] for row in whole} == set(IdentityKind.values)  # every kind is there to compare
    pks = [household.pk for household in crowded_registry]
    # Small scopes read their surroundings; one of more than half the registry reads it all.
    scopes = [{pk} for pk in pks] + [set(pks[:7]), set(pks[20:45:3]), set(pks[:40]), set(pks), {pks[5]}, set()]
    for scope in scopes:
        found = rows(find_identity_matches(scope))
        assert len(found) == len({row[:3] for row in found})  # each pair once
        assert sorted(found, key=repr) == of(whole, scope), scope


def test_a_limited_scan_records_only_its_households_duplicates(reference):
    shared = make_nik(region="740905", birth=BIRTHS[0], female=False, serial=501)
    old_a, old_b = HouseholdFactory(no_kk="7409051406820001"), HouseholdFactory(no_kk="7409051406820001")
    new = HouseholdFactory()
    MemberFactory(household=old_a, nik=shared, name="Jumadi Tosuli", birth_date=BIRTHS[0])
    MemberFactory(household=new, nik=shared, name="Jumadi", birth_date=None)

    result = identity_scan(households={new.pk})

    assert rows(IdentityMatch.objects.all()) == [
        (IdentityKind.SAME_NIK, old_a.pk, new.pk, old_a.members.get().pk, new.members.get().pk, 100, {"niks": [shared]}),
    ]
    assert result.new == 1
    # The whole scan, still available, adds the old records' own duplicate and nothing twice.
    assert identity_scan().new == 1
    assert sorted(IdentityMatch.objects.values_list("kind", flat=True)) == [IdentityKind.SAME_KK, IdentityKind.SAME_NIK]
    assert identity_scan(households={new.pk}).new == 0


def test_the_streamed_scan_gives_the_same_rows_chunk_by_chunk(crowded_registry, monkeypatch):
    """The whole scan reads its groups and writes its findings a few rows at a time: with one row
    fetched and two written at a time, every group (a NIK, a No KK, a village, a birth date) and
    every pair's candidates cross chunk boundaries, and the findings are the same."""
    from dedup import identity, identity_stream

    pks = [household.pk for household in crowded_registry]
    whole, most = rows(find_identity_matches()), rows(find_identity_matches(set(pks[:40])))
    monkeypatch.setattr(identity_stream, "CHUNK_ROWS", 1)
    monkeypatch.setattr(identity_stream, "WRITE_ROWS", 2)
    batches = []
    identity.each_identity_match(lambda batch: batches.append(rows(batch)))
    assert len(batches) > 1 and all(len(batch) <= 2 for batch in batches)
    assert sorted(row for batch in batches for row in batch) == sorted(whole)
    assert sorted(rows(find_identity_matches(set(pks[:40])))) == sorted(most) == sorted(of(whole, set(pks[:40])))

    result = identity_scan()
    assert result.new == len(whole)
    assert sorted(rows(IdentityMatch.objects.all())) == sorted(whole)
    assert identity_scan().new == 0


def test_the_streamed_scan_of_some_households_finds_what_the_whole_scan_finds_for_them(crowded_registry, monkeypatch):
    """A scan of some households streams only the groups (NIK, No KK, village, birth date) holding
    one of them, compares only their people with the rest, and gives what the whole scan gives for
    them, whatever the scope and the chunks."""
    from dedup import identity_stream

    whole = rows(find_identity_matches())
    pks = [household.pk for household in crowded_registry]
    monkeypatch.setattr(identity_stream, "CHUNK_ROWS", 2)
    monkeypatch.setattr(identity_stream, "WRITE_ROWS", 3)
    for scope in [{pk} for pk in pks] + [set(pks[:7]), set(pks[20:45:3]), {pks[5]}]:
        found = rows(find_identity_matches(scope))
        assert len(found) == len({row[:3] for row in found})
        assert sorted(found, key=repr) == of(whole, scope), scope


def test_a_scope_holding_every_live_household_is_scanned_as_the_whole_registry(crowded_registry, monkeypatch):
    """After a first import the families it wrote are the registry: the scan runs unlimited (no
    scope table, no filter per group) and gives the same rows; a scope missing one live household
    stays limited."""
    from dedup import identity_stream

    whole = rows(find_identity_matches())
    pks = [household.pk for household in crowded_registry]
    live = [pk for pk in pks if pk != crowded_registry[5].pk]  # the one merged away is no one's
    scopes = []
    scan = identity_stream.each_identity_match
    monkeypatch.setattr(identity_stream, "each_identity_match", lambda consume, scope, **options: scopes.append(scope) or scan(consume, scope, **options))
    assert sorted(rows(find_identity_matches(set(live))), key=repr) == sorted(whole, key=repr)
    assert sorted(rows(find_identity_matches(set(live[1:]))), key=repr) == of(whole, set(live[1:]))
    assert scopes == [None, set(live[1:])]


def test_the_recorded_findings_are_the_found_ones_whatever_writes_them(reference):
    """``identity_scan`` records exactly the rows ``find_identity_matches`` finds (on PostgreSQL the
    database settles and writes them itself): a pair sharing seven NIKs keeps its first five in the
    registry's order and its first members, its look-alike people are no finding of their own, and a
    similar pair met on two birth dates keeps its best score."""
    first, second = HouseholdFactory(head_name="Jumadi Tosuli"), HouseholdFactory(head_name="Hasan Lapodi")
    for serial in (7, 3, 6, 1, 5, 2, 4):
        shared = make_nik(region="740905", birth=BIRTHS[0], female=False, serial=600 + serial)
        for household in (second, first):
            MemberFactory(household=household, nik=shared, name=f"Anak {serial}", birth_date=BIRTHS[serial % 2])
    third, fourth = HouseholdFactory(), HouseholdFactory()
    for household, names in ((third, ["Siti Aminah", "Nurhayati"]), (fourth, ["Siti Aminat", "Nur Hayati"])):
        for name, birth in zip(names, BIRTHS):
            MemberFactory(household=household, nik="", name=name, birth_date=birth, sex=Sex.FEMALE)

    found = rows(find_identity_matches())
    assert identity_scan().new == len(found)
    assert sorted(rows(IdentityMatch.objects.all()), key=repr) == sorted(found, key=repr)
    by_kind = {row[0]: row for row in found}
    assert set(by_kind) == {IdentityKind.SAME_NIK, IdentityKind.SIMILAR_MEMBER}
    niks = by_kind[IdentityKind.SAME_NIK][6]["niks"]
    assert len(niks) == 5 and niks == [m.nik for m in Member.objects.filter(household=first)][:5]
    similar = by_kind[IdentityKind.SIMILAR_MEMBER]  # 100 on the second birth date beats 91 on the first
    assert similar[3:6] == (third.members.get(birth_date=BIRTHS[1]).pk, fourth.members.get(birth_date=BIRTHS[1]).pk, 100)
    assert set(IdentityMatch.objects.values_list("status", "decision_reason")) == {("open", "")}
    assert list(IdentityMatch.objects.order_by("id").values_list("kind", flat=True)) == [
        IdentityKind.SAME_NIK, IdentityKind.SIMILAR_MEMBER,
    ]
    assert identity_scan().new == 0
