"""The README's backup and restore procedure, tried on a real PostgreSQL database."""

import shutil
import subprocess
import uuid

import pytest
from django.db import connection

from households.models import Household, Member
from programs.models import Enrollment

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed"),
]


def _pg_args(settings: dict) -> list[str]:
    args = []
    if settings.get("HOST"):
        args += ["-h", settings["HOST"]]
    if settings.get("PORT"):
        args += ["-p", str(settings["PORT"])]
    if settings.get("USER"):
        args += ["-U", settings["USER"]]
    return args


@pytest.mark.django_db(transaction=True)
def test_pg_dump_and_pg_restore_bring_back_the_registry(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("backup and restore are documented for PostgreSQL")
    from django.core.management import call_command

    from programs.demo import seed_demo

    call_command("load_reference", verbosity=0)
    seed_demo(families=40, seed=11, users=False)
    expected = (Household.objects.count(), Member.objects.count(), Enrollment.objects.count())
    sample_nik = Member.objects.order_by("pk").values_list("nik", flat=True).first()
    settings = connection.settings_dict
    dump = tmp_path / "konut.dump"
    subprocess.run(["pg_dump", *_pg_args(settings), "--format=custom", f"--file={dump}", settings["NAME"]], check=True)
    restored = f"konut_restore_{uuid.uuid4().hex[:8]}"
    subprocess.run(["createdb", *_pg_args(settings), restored], check=True)
    try:
        subprocess.run(["pg_restore", *_pg_args(settings), "--no-owner", f"--dbname={restored}", str(dump)], check=True)
        query = (
            "SELECT (SELECT count(*) FROM households_household), (SELECT count(*) FROM households_member),"
            " (SELECT count(*) FROM programs_enrollment),"
            f" (SELECT count(*) FROM households_member WHERE nik = '{sample_nik}')"
        )
        out = subprocess.run(
            ["psql", *_pg_args(settings), "-d", restored, "-tAc", query], check=True, capture_output=True, text=True
        ).stdout.strip()
        households, members, enrollments, with_nik = (int(v) for v in out.split("|"))
        assert (households, members, enrollments) == expected
        assert expected[0] == 40 and with_nik >= 1
    finally:
        subprocess.run(["dropdb", *_pg_args(settings), "--if-exists", restored], check=False)
