"""The portal in English reads as English: whole sentences, counts with the right plural."""

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.utils import translation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _indonesian_afterwards():
    """A request in English leaves English active in this thread; the next tests expect Indonesian."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def english(login):
    """``english(user)`` -> a client logged in as that user, who chose English in the footer."""

    def _english(user):
        client = login(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return _english


def _messages(response):
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(
    "enrollment, action, data, expected",
    [
        ("b_sembako", "terima", {}, "Cannot accept: the enrollment's current status is Active. "
         "If this household is no longer eligible, ask Bappeda to cancel the enrollment."),
        ("b_sembako", "tolak", {"reason": "Sudah pindah"}, "Cannot reject: the enrollment's current status is Active. "
         "If this household is no longer eligible, ask Bappeda to cancel the enrollment."),
        ("a_pkh", "salurkan", {"delivered_on": "15/03/2024", "amount": "100000"},
         "Cannot record the delivery: the enrollment's current status is Proposed. Accept the proposal first."),
        ("a_pkh", "selesai", {}, "Cannot complete: the enrollment's current status is Proposed. Accept the proposal first."),
        ("d_pkh", "salurkan", {"delivered_on": "15/03/2023", "amount": "100000"},
         "Cannot record the delivery: the enrollment's current status is Complete. Only Bappeda can reopen this "
         "enrollment: ask Bappeda to change its status if something still needs to be recorded."),
    ],
)
def test_a_refused_step_is_one_english_sentence(registry, english, enrollment, action, data, expected):
    enrollment = getattr(registry.enr, enrollment)
    before = (enrollment.status, enrollment.amount, enrollment.status_reason)
    response = english(registry.users.head).post(f"/kepesertaan/{enrollment.pk}/{action}/", data, follow=True)
    assert ("error", expected) in _messages(response)
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.amount, enrollment.status_reason) == before


@pytest.mark.bypasses_services  # the one-aid check is replaced by a stub: this test reads how the page counts it
def test_one_hidden_conflict_is_counted_in_the_singular(registry, english, monkeypatch):
    monkeypatch.setattr("programs.services.check_enrollments", lambda ids, **kwargs: [registry.conflict])
    monkeypatch.setattr("agencies.views.MAX_CONFLICT_MESSAGES", 0)
    response = english(registry.users.head).post(f"/kepesertaan/{registry.enr.f_rutilahu.pk}/terima/", follow=True)
    assert ("warning", "... and 1 more one-aid conflict.") in _messages(response)


def test_household_page_names_the_district_in_english_order(registry, english):
    household = registry.hh.a
    html = english(registry.users.head).get(f"/keluarga/{household.pk}/").content.decode()
    assert f"{household.desa.name}, {household.desa.kecamatan.name} district" in html
    assert "Decile 1" in html
    assert "Kec." not in html


def test_household_page_in_indonesian_keeps_kec_before_the_name(registry, login):
    household = registry.hh.a
    html = login(registry.users.head).get(f"/keluarga/{household.pk}/").content.decode()
    assert f"{household.desa.name}, Kec. {household.desa.kecamatan.name}" in html


def test_print_page_says_when_and_by_whom_in_one_sentence(registry, english, login):
    user = registry.users.head
    html = english(user).get("/keluarga/cetak/").content.decode()
    assert f" by {user.get_full_name()}</p>" in html and "printed " in html
    assert "dicetak" not in html
    indonesian = login(user)
    indonesian.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    assert f" oleh {user.get_full_name()}</p>" in indonesian.get("/keluarga/cetak/").content.decode()


def test_distributing_one_household_counts_it_in_the_singular(registry, english):
    bappeda = registry.users.bappeda
    response = english(bappeda).post(
        "/keluarga/distribusi/",
        {"program": "bsps", "year": "2025", "household": [registry.hh.e.pk]},
        follow=True,
    )
    texts = [text for _level, text in _messages(response)]
    assert any(text.startswith("1 household proposed for ") for text in texts), texts
    assert registry.hh.e.enrollments.filter(program=registry.programs["bsps"], year=2025).count() == 1
