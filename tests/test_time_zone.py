"""The registry keeps its area's time: WIB, WITA or WIT from KONUT_WILAYAH, or KONUT_TIME_ZONE."""

import datetime
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from konut_registry.timezones import WIB, WIT, WITA, area_time_zone
from programs.models import validate_delivery_date

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("code", "zone"),
    [
        ("74.09", WITA), ("74", WITA), ("7409", WITA), ("73.71", WITA), ("51.71", WITA), ("64.72", WITA),
        ("33.74", WIB), ("31.71", WIB), ("11.01", WIB), ("21.71", WIB), ("61.71", WIB), ("62", WIB),
        ("91.03", WIT), ("94.01", WIT), ("81.71", WIT), ("82", WIT),
        ("", WITA), (None, WITA), ("4", WITA), ("44.01", WITA),
    ],
)
def test_each_area_has_its_zone(code, zone):
    assert area_time_zone(code) == zone


def _settings_time_zone(**env) -> str:
    command = "from django.conf import settings; print(settings.TIME_ZONE)"
    environment = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "konut_registry.settings.dev", **env}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", command], cwd=ROOT, capture_output=True, text=True, env=environment,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]  # after the shell's own note of what it imported


def test_the_settings_take_the_zone_of_the_area_or_the_one_named():
    assert _settings_time_zone(KONUT_WILAYAH="74.09") == WITA
    assert _settings_time_zone(KONUT_WILAYAH="33.74") == WIB
    assert _settings_time_zone(KONUT_WILAYAH="91.03") == WIT
    assert _settings_time_zone(KONUT_WILAYAH="33.74", KONUT_TIME_ZONE="Asia/Makassar") == WITA


@override_settings(TIME_ZONE=WIT)
def test_a_papua_operator_records_aid_delivered_today_after_midnight():
    # 00:30 WIT on 02/12/2026 is still 01/12 in WITA and WIB: the delivery of "today" is not "in the future".
    now = datetime.datetime(2026, 12, 1, 15, 30, tzinfo=datetime.UTC)
    with mock.patch("django.utils.timezone.now", return_value=now):
        validate_delivery_date(datetime.date(2026, 12, 2))
        with pytest.raises(ValidationError):
            validate_delivery_date(datetime.date(2026, 12, 3))
