"""The batch page's cost does not grow with its cases: the approval's plan is built once per page
(the preview and the changes not applied share it), the members' changes come prefetched, the
family's continuation is read from the plan, and merged families are followed in one go."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dedup import membership
from households.models import Relation
from tests.factories import MemberFactory, UserFactory
from tests.verval.conftest import client_for, enroll, household, words
from verval import services
from verval.models import Presence, Verdict

pytestmark = pytest.mark.django_db


def _batch(registry, people, size: int, *, moved: bool = True):
    """An inclusion batch of ``size`` families (PKH, desil 7) whose head died: the visit finds the
    family eligible, one member moved out (unless not ``moved``) and another carrying on; every third
    family was merged into another record since; verified, waiting for the Bupati."""
    homes = []
    for _ in range(size):
        home = household(registry.desa, 7)
        enroll(home, "pkh")
        MemberFactory(household=home, relation=Relation.CHILD)
        MemberFactory(household=home, relation=Relation.CHILD)
        homes.append(home)
    batch = services.cases_open(kind="inclusion", household_ids=[h.pk for h in homes], by=people.bappeda).batch
    services.cases_assign(cases=list(batch.cases.all()), officer=people.officer, by=people.bappeda)
    for number, case in enumerate(batch.cases.select_related("household").order_by("id")):
        leaving = case.household.members.exclude(relation=Relation.HEAD).order_by("pk").first()
        services.case_visit_record(case=case, by=people.officer, visited_on=timezone.localdate(),
                                   presence=Presence.DECEASED, verdict=Verdict.ELIGIBLE,
                                   members={leaving.pk: "pindah"} if moved else {})
        if number % 3 == 0:
            membership.household_merge(source=case.household, target=household(registry.desa, 7), by=people.bappeda)
    services.batch_deliberation_record(batch=batch, held_on=timezone.localdate(), outcome="Setuju", by=people.bappeda)
    services.batch_verify(batch=batch, note="", by=people.dinsos_head)
    return batch


def _queries(client, batch) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"/verval/berkas/{batch.pk}/")
    assert page.status_code == 200
    return len(queries), words(page.content.decode())


@pytest.mark.parametrize(("who", "moved", "approved"), [
    ("bappeda", True, False), ("bappeda", False, False), ("bappeda", True, True), ("bupati", True, False),
    ("superuser", True, False),
])
def test_the_batch_page_costs_the_same_for_3_cases_as_for_12(registry, people, who, moved, approved):
    user = UserFactory(username="admin", is_superuser=True) if who == "superuser" else getattr(people, who)
    client = client_for(user)
    small, large = _batch(registry, people, 3, moved=moved), _batch(registry, people, 12, moved=moved)
    if approved:
        for batch in (small, large):
            services.batch_approve(batch=batch, by=people.bupati)
    client.get(f"/verval/berkas/{small.pk}/")  # the session and the caches warmed alike
    few, few_page = _queries(client, small)
    many, many_page = _queries(client, large)
    assert many <= few, (few, many)
    if who != "bupati":
        # Every family carries on, the merged ones too (on the record they were merged into).
        assert many_page.count("Keluarga tetap ada; kepala keluarga baru ditetapkan Bappeda") == 12
    if who != "bappeda" and not approved:
        assert "12 keluarga kehilangan kepala keluarga tetapi tetap ada" in many_page
