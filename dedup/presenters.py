"""How a one-aid conflict is told to the person who just saved an enrollment."""

from django.utils.translation import gettext as _


def conflict_message(conflict, *, saved_enrollment_id: int) -> str:
    """"Keluarga ini sudah menerima PKH 2024: konflik #123 dibuat" for the enrollment just saved."""
    other = conflict.enrollment_b if conflict.enrollment_a_id == saved_enrollment_id else conflict.enrollment_a
    return _("Keluarga ini sudah menerima %(program)s %(year)s: konflik #%(id)s dibuat") % {
        "program": other.program.name,
        "year": other.year,
        "id": conflict.pk,
    }
