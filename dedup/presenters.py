"""How a one-aid conflict is told to the person who just saved an enrollment (admin, agency pages,
import summaries)."""

from django.utils.translation import gettext as _

from dedup.models import ConflictRule


def conflict_message(conflict, *, saved_enrollment_id: int, for_agency: bool = False) -> str:
    """"Keluarga ini sudah menerima PKH 2024: konflik #123 dibuat" for the enrollment just saved.

    A conflict that was already open before this save (``created_now`` False, set by
    ``dedup.engine.check_enrollments``) says "masih terbuka" instead of "dibuat", one this save
    reopened (``reopened_now``: it was decided, and holds again) "dibuka kembali"; a same-person
    conflict says the aid comes through another family card. ``for_agency``: told to an agency,
    which does not decide conflicts, it adds who does and what the agency does meanwhile.
    """
    message = _what_conflicts(conflict, saved_enrollment_id=saved_enrollment_id)
    if not for_agency:
        return message
    return _("%(conflict)s. Bappeda yang memutuskan bantuan mana yang dipertahankan; sambil menunggu keputusan itu, "
             "tunda penyaluran berikutnya untuk keluarga ini.") % {"conflict": message}


def _what_conflicts(conflict, *, saved_enrollment_id: int) -> str:
    other = conflict.enrollment_b if conflict.enrollment_a_id == saved_enrollment_id else conflict.enrollment_a
    values = {"program": other.program.name, "year": other.year, "id": conflict.pk}
    fresh = getattr(conflict, "created_now", True)
    reopened = getattr(conflict, "reopened_now", False)
    if conflict.rule == ConflictRule.SAME_PERSON:
        if reopened:
            return _(
                "Orang yang sama (NIK) sudah menerima %(program)s %(year)s lewat keluarga lain: konflik #%(id)s dibuka kembali"
            ) % values
        if fresh:
            return _(
                "Orang yang sama (NIK) sudah menerima %(program)s %(year)s lewat keluarga lain: konflik #%(id)s dibuat"
            ) % values
        return _(
            "Orang yang sama (NIK) sudah menerima %(program)s %(year)s lewat keluarga lain: konflik #%(id)s masih terbuka"
        ) % values
    if reopened:
        return _("Keluarga ini sudah menerima %(program)s %(year)s: konflik #%(id)s dibuka kembali") % values
    if fresh:
        return _("Keluarga ini sudah menerima %(program)s %(year)s: konflik #%(id)s dibuat") % values
    return _("Keluarga ini sudah menerima %(program)s %(year)s: konflik #%(id)s masih terbuka") % values
