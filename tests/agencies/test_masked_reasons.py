"""A reason typed or imported for an enrollment may quote a NIK or a No KK: the roles that see
those numbers masked see them masked in the reason too, on the household page's aid table and in
its change history; the roles that verify people read the reason as it was written."""

import pytest

pytestmark = pytest.mark.django_db

QUOTED_NIK, QUOTED_KK = "7409014403800077", "7409011205200099"
REASON = f"Ganda: sudah terdaftar atas NIK {QUOTED_NIK} (KK {QUOTED_KK})"


def _rejected_with_quoted_numbers(registry, login):
    enrollment = registry.enr.a_pkh
    login(registry.users.head).post(f"/kepesertaan/{enrollment.pk}/tolak/", {"reason": REASON})
    enrollment.refresh_from_db()
    assert enrollment.status_reason == REASON
    return enrollment


@pytest.mark.parametrize("role", ["operator", "leader"])
def test_a_reason_quoting_a_nik_shows_it_masked_to_a_masked_role(registry, login, role):
    enrollment = _rejected_with_quoted_numbers(registry, login)
    page = login(getattr(registry.users, role)).get(f"/keluarga/{enrollment.household_id}/").content.decode()
    assert QUOTED_NIK not in page and QUOTED_KK not in page
    masked = "Ganda: sudah terdaftar atas NIK 740901********** (KK 740901**********)"
    # the aid table's Catatan cell and the history's new value
    assert page.count(masked) == 2


def test_a_reason_changed_in_the_history_is_masked_on_both_sides(registry, login):
    enrollment = _rejected_with_quoted_numbers(registry, login)
    enrollment.status_reason = f"Dikoreksi: NIK {QUOTED_NIK[:-1]}8"
    enrollment.save()
    page = login(registry.users.operator).get(f"/keluarga/{enrollment.household_id}/").content.decode()
    assert QUOTED_NIK not in page and QUOTED_KK not in page and QUOTED_NIK[:-1] + "8" not in page
    assert "Dikoreksi: NIK 740901**********" in page


@pytest.mark.parametrize("role", ["head", "bappeda"])
def test_a_role_that_verifies_people_reads_the_reason_as_written(registry, login, role):
    enrollment = _rejected_with_quoted_numbers(registry, login)
    page = login(getattr(registry.users, role)).get(f"/keluarga/{enrollment.household_id}/").content.decode()
    assert page.count(REASON) == 2


@pytest.mark.parametrize("role", ["operator", "leader"])
def test_a_nik_quoted_in_groups_shows_masked_to_a_masked_role(registry, login, role):
    """People copy a NIK from the family card in groups of four: 7409 0144 0380 0077."""
    spaced, dotted = " ".join(QUOTED_NIK[i:i + 4] for i in range(0, 16, 4)), ".".join(QUOTED_NIK[i:i + 4] for i in range(0, 16, 4))
    dashed = "-".join(QUOTED_KK[i:i + 4] for i in range(0, 16, 4))
    enrollment = registry.enr.a_pkh
    reason = f"Ganda dengan NIK {spaced} / {dotted} (KK {dashed}), bantuan Rp 1.500.000 sejak 01-12-2025"
    login(registry.users.head).post(f"/kepesertaan/{enrollment.pk}/tolak/", {"reason": reason})
    page = login(getattr(registry.users, role)).get(f"/keluarga/{enrollment.household_id}/").content.decode()
    assert QUOTED_NIK[-4:] not in page and QUOTED_KK[-4:] not in page
    masked = ("Ganda dengan NIK 740901********** / 740901********** (KK 740901**********), bantuan Rp 1.500.000 "
              "sejak 01-12-2025")
    assert page.count(masked) == 2
    assert page.count(reason) == 0
    head = login(registry.users.head).get(f"/keluarga/{enrollment.household_id}/").content.decode()
    assert head.count(reason) == 2
