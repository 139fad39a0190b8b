"""What the Bupati's approval preview counts is what the approval then does: a member two visits of
one batch both add is added once, whichever family's visit comes first."""

from __future__ import annotations

import datetime

import pytest

from dedup import membership
from households.identifiers import make_nik
from households.models import Member, Relation, Sex
from tests.verval.conftest import approval_preview_text, approved_page_text
from tests.verval.test_member_moves import _verified, _visit
from verval import services

pytestmark = pytest.mark.django_db
NEW_NIK = make_nik(region="740901", birth=datetime.date(2024, 2, 3), female=True, serial=71)
ELSEWHERE = "1 anggota baru tidak ditambahkan: NIK-nya sudah tercatat untuk anggota keluarga lain"


KNOWN = "1 anggota baru tidak ditambahkan: anggota dengan NIK yang sama sudah tercatat di keluarganya"


@pytest.mark.parametrize("merged", [False, True])
def test_a_member_two_families_of_the_batch_add_is_counted_added_once(registry, people, merged):
    """Two visits of one batch each add the same newborn (no family holds the NIK yet, so neither visit
    is refused): the preview says what the approval does, one added and the other held by another
    family, or, the two records merged into one since, already of the family."""
    a, b = registry.pkh_high, registry.pkh_sembako_high
    batch = services.cases_open(kind="inclusion", household_ids=[a.pk, b.pk], by=people.bappeda).batch
    services.cases_assign(cases=list(batch.cases.all()), officer=people.officer, by=people.bappeda)
    baby = [{"name": "Bayi", "nik": NEW_NIK, "relation": Relation.CHILD, "sex": Sex.FEMALE,
             "birth_date": datetime.date(2024, 2, 3)}]
    for case in batch.cases.order_by("id"):
        _visit(case, people.officer, additions=baby)
    _verified(batch, people)
    if merged:
        membership.household_merge(source=a, target=b, by=people.bappeda)
    not_added = KNOWN if merged else ELSEWHERE
    preview = approval_preview_text(batch, people.bupati)
    assert "1 anggota keluarga baru ditambahkan" in preview and not_added in preview
    done = approved_page_text(batch, people.bupati)
    assert "1 anggota keluarga baru ditambahkan" in done and not_added in done
    assert list(Member.objects.filter(nik=NEW_NIK).values_list("household", flat=True)) == [
        b.pk if merged else a.pk]
