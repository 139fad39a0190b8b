"""How a run that failed halfway is told to the operator.

A database error's own text can quote the row it choked on (a NIK, a name): it goes to the server
log, and the batch stores an Indonesian summary of the kind of failure. A failure after the import
committed (the identity-duplicate scan) is said on the batch too, never only logged.
"""

from __future__ import annotations

from django.conf import settings
from django.db import DatabaseError, DataError, IntegrityError, OperationalError
from django.utils import translation
from django.utils.translation import gettext as _


def failure_cause(exc: BaseException) -> str:
    """What went wrong, in Indonesian and without the error's own text (which may quote data)."""
    if isinstance(exc, IntegrityError):
        return _("data bertentangan dengan aturan basis data (mis. nomor yang harus unik). Rinciannya ada di log server.")
    if isinstance(exc, DataError):
        return _("sebuah nilai tidak sesuai dengan kolom basis data. Rinciannya ada di log server.")
    if isinstance(exc, OperationalError):
        return _("basis data tidak dapat dijangkau atau sedang sibuk; coba konfirmasi lagi nanti.")
    if isinstance(exc, DatabaseError):
        return _("kesalahan basis data. Rinciannya ada di log server.")
    return _("kesalahan tak terduga. Rinciannya ada di log server.")


def identity_scan_failure(*, batch, message: str) -> str:
    """Record on an applied batch that the identity scan after it failed; return its new message
    (``message``, the batch's own, then what failed and what to do)."""
    with translation.override(settings.LANGUAGE_CODE):
        failed = _(
            "Data sudah diimpor, tetapi pencarian duplikat identitas gagal; jalankan lagi dengan tombol "
            "\"Cari duplikat identitas\" di halaman Duplikat identitas."
        )
    batch.message = " ".join(part for part in (message, failed) if part)
    counts = {**(batch.counts or {}), "identity_scan_failed": True}
    counts.pop("identity_scan", None)
    batch.counts = counts
    batch.save(update_fields=["counts", "message"])
    return batch.message
