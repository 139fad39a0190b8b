"""An agency records its aid in stages: each delivery adds to what was delivered (as an import merges
a list's TAHAP stages), the page says the total and the latest day, and the history says what
changed, old and new."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.messages import get_messages

from programs.models import EnrollmentStatus

pytestmark = pytest.mark.django_db

SEMBAKO = "Program Sembako (BPNT)"


def _messages(response):
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def _deliver(client, enrollment, day: str, amount: str):
    return client.post(f"/kepesertaan/{enrollment.pk}/salurkan/", {"delivered_on": day, "amount": amount}, follow=True)


def _cells(html: str, row_id: str) -> list[str]:
    row = html.split(f'id="{row_id}"', 1)[1].split("</tr>", 1)[0]
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]


def _history(html: str) -> list[list[str]]:
    table = html.split("Riwayat perubahan kepesertaan", 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1], flags=re.S)
    return [[" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<td>(.*?)</td>", row, flags=re.S)] for row in rows]


def test_deliveries_in_stages_add_up_and_the_page_says_the_total_and_the_latest_day(registry, login):
    enrollment = registry.enr.b_sembako  # 2024, active, Rp 600.000 planned, nothing delivered yet
    client = login(registry.users.head)

    first = _deliver(client, enrollment, "20/11/2024", "750.000")
    assert ("success", f"Penyaluran {SEMBAKO} 2024 dicatat: total tersalurkan Rp 750.000, terakhir 20/11/2024.") in _messages(first)
    assert ("warning", "Nilai rencana Rp 600.000 diganti dengan nilai yang disalurkan Rp 750.000.") in _messages(first)

    second = _deliver(client, enrollment, "25/11/2024", "Rp 600.000")
    assert _messages(second) == [
        ("success", f"Penyaluran {SEMBAKO} 2024 dicatat: total tersalurkan Rp 1.350.000, terakhir 25/11/2024."),
        ("warning", "Penyaluran bertahap: Rp 600.000 pada 25/11/2024 ditambahkan ke Rp 750.000 yang sudah tercatat "
                    "(terakhir 20/11/2024); total tersalurkan Rp 1.350.000, terakhir 25/11/2024."),
    ]
    enrollment.refresh_from_db()
    assert (enrollment.amount, enrollment.delivered_on, enrollment.status) == (
        1_350_000, datetime.date(2024, 11, 25), EnrollmentStatus.ACTIVE
    )

    html = second.content.decode()
    cells = _cells(html, f"kepesertaan-{enrollment.pk}")
    assert cells[5:7] == ["25/11/2024", "Rp 1.350.000 total tersalurkan"]
    assert "Penyaluran terakhir" in html
    form = html.split(f'action="/kepesertaan/{enrollment.pk}/salurkan/"', 1)[1].split("</form>", 1)[0]
    assert "Sudah disalurkan Rp 1.350.000, terakhir 25/11/2024. Penyaluran tahap berikutnya ditambahkan ke total." in form
    # A new stage starts empty: the total is not offered again as if it were one stage's amount.
    assert re.search(r'<input[^>]*name="amount"[^>]*>', form).group(0).count("value=") == 0

    history = _history(html)
    assert history[0][4:] == [
        "Aktif", "Diubah Nilai (Rp): Rp 750.000 → Rp 1.350.000 Tanggal penyaluran: 20/11/2024 → 25/11/2024"
    ]
    assert history[1][4:] == ["Aktif", "Diubah Nilai (Rp): Rp 600.000 → Rp 750.000 Tanggal penyaluran: – → 20/11/2024"]
    assert history[0][1] == history[1][1] == "kadis-dinsos"


def test_an_earlier_stage_recorded_late_adds_up_and_keeps_the_latest_day(registry, login):
    enrollment = registry.enr.b_sembako
    client = login(registry.users.head)
    _deliver(client, enrollment, "25/11/2024", "600.000")
    _deliver(client, enrollment, "20/08/2024", "750.000")
    enrollment.refresh_from_db()
    assert (enrollment.amount, enrollment.delivered_on) == (1_350_000, datetime.date(2024, 11, 25))


def test_a_delivery_in_another_year_than_the_enrollments_is_recorded_with_a_warning(registry, login):
    enrollment = registry.enr.b_sembako  # a 2024 enrollment
    response = _deliver(login(registry.users.head), enrollment, "10/02/2025", "600.000")
    assert (
        "warning",
        "Tanggal penyaluran 10/02/2025 tidak di tahun program 2024; periksa tanggal atau tahun kepesertaannya.",
    ) in _messages(response)
    enrollment.refresh_from_db()
    assert enrollment.delivered_on == datetime.date(2025, 2, 10)
