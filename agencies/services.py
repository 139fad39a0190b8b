"""What the agency portal writes: status changes on enrollments and the log of every export
(Bappeda's distribution of households to a program is ``programs.distribution``).

Every enrollment write goes through ``programs.services`` so that the one-aid check and the change
history run on it. Each action re-reads the enrollment under a row lock, checks who is acting and
that the status allows the step, and raises ``ValidationError`` (an Indonesian message, nothing
written) or ``PermissionDenied`` otherwise.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import ExportKind, ExportLog, IdentifierSearch, User
from agencies.selectors import MANAGED_ROLES, may_act_on, may_manage_user
from konut_registry.numbers import rupiah
from programs.models import PORTAL_STAGE, STAGE_SEPARATOR, Enrollment, EnrollmentStatus, validate_delivery_date
from programs.services import EnrollmentResult, enrollment_last_change, enrollment_update


def _locked(enrollment: Enrollment, *, by: User, allowed: tuple[str, ...], refused: str) -> Enrollment:
    """The enrollment re-read under a row lock, after checking the actor and the current status.

    ``refused`` is the whole sentence shown when the status does not allow the step, with a
    ``%(status)s`` placeholder (one sentence per step, so that every language can order it); the
    sentence of :func:`_next_step` follows it."""
    if not may_act_on(by, enrollment):
        raise PermissionDenied(_("Anda tidak berwenang mengubah kepesertaan ini."))
    current = Enrollment.objects.select_for_update().select_related("program").get(pk=enrollment.pk)
    if current.status not in allowed:
        raise ValidationError(
            f"{refused % {'status': current.get_status_display()}} {_next_step(current.status)}"
        )
    return current


def _next_step(status: str) -> str:
    """What an agency can do about an enrollment whose status refused its step. It moves an
    enrollment forward only (accept or reject, deliver, complete): every other change is Bappeda's,
    in the admin."""
    if status == EnrollmentStatus.PROPOSED:
        return _("Terima usulan ini lebih dulu.")
    if status == EnrollmentStatus.ACTIVE:
        return _("Bila keluarga ini tidak lagi berhak, minta Bappeda membatalkan kepesertaannya.")
    if status == EnrollmentStatus.SUSPENDED:
        return _("Kepesertaan ini ditangguhkan sampai verifikasi lapangan memutuskan; tanyakan hasilnya kepada Bappeda.")
    return _(
        "Hanya Bappeda yang dapat membuka kembali kepesertaan ini: minta Bappeda mengubah statusnya bila masih ada "
        "yang perlu dicatat."
    )


@transaction.atomic
def enrollment_accept(*, enrollment: Enrollment, by: User) -> EnrollmentResult:
    """A proposed household is accepted by the agency and becomes an active recipient."""
    current = _locked(
        enrollment, by=by, allowed=(EnrollmentStatus.PROPOSED,),
        refused=_("Tidak dapat menerima: status kepesertaan saat ini %(status)s."),
    )
    return enrollment_update(enrollment=current, by=by, status=EnrollmentStatus.ACTIVE)


@transaction.atomic
def enrollment_reject(*, enrollment: Enrollment, reason: str, by: User) -> EnrollmentResult:
    """A proposed household is rejected, with the reason the field visit found."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Alasan penolakan wajib diisi."))
    current = _locked(
        enrollment, by=by, allowed=(EnrollmentStatus.PROPOSED,),
        refused=_("Tidak dapat menolak: status kepesertaan saat ini %(status)s."),
    )
    return enrollment_update(enrollment=current, by=by, status=EnrollmentStatus.REJECTED, status_reason=reason)


def _day(day: datetime.date | None) -> str:
    # None: a list's paid stage without a day.
    return day.strftime("%d/%m/%Y") if day else "–"


@transaction.atomic
def enrollment_mark_delivered(
    *, enrollment: Enrollment, delivered_on: datetime.date, amount: int,
    recorded: tuple[int | None, datetime.date | None] | None, by: User,
) -> EnrollmentResult:
    """Record that (part of) the aid of an active enrollment was handed over: on which day, for how much.

    The enrollment's ``amount`` is the value of its aid and ``delivered_on`` its latest delivery, as
    an import records the stages (TAHAP) of a recipient list (``households.imports.recipients``):
    the first delivery replaces the planned value, each later one is added to what was delivered
    and the latest day is kept. The result's ``warnings`` say so, and a delivery dated in another
    year than the enrollment's; the history keeps every earlier value.

    ``recorded`` is what the page the delivery was typed on showed as recorded (amount, latest day;
    None when the form did not say). The row is locked and the delivery refused when that is no
    longer what is recorded: the same stage posted twice (a double click, a reload after a slow
    save, two people from pages opened before) is added once, and a next stage is recorded from
    the page that shows the current total."""
    if delivered_on is None or amount is None:
        raise ValidationError(_("Tanggal penyaluran dan nilai bantuan wajib diisi."))
    validate_delivery_date(delivered_on)
    if amount <= 0:
        raise ValidationError(_("Nilai bantuan harus lebih dari Rp 0."))
    current = _locked(
        enrollment, by=by, allowed=(EnrollmentStatus.ACTIVE,),
        refused=_("Tidak dapat mencatat penyaluran: status kepesertaan saat ini %(status)s."),
    )
    if recorded is None:
        raise ValidationError(_("Formulir penyaluran ini tidak lengkap. Muat ulang halaman, lalu catat lagi."))
    if recorded != (current.amount, current.delivered_on):
        raise ValidationError(_recorded_since(current))
    if delivered_on.year < current.year - 1:
        raise ValidationError(
            _("Tanggal penyaluran %(date)s terlalu jauh sebelum tahun program %(year)s.")
            % {"date": _day(delivered_on), "year": current.year}
        )
    warnings = []
    if not current.has_deliveries:
        total, latest = amount, delivered_on
        if current.amount is not None and current.amount != amount:
            warnings.append(
                _("Nilai rencana %(planned)s diganti dengan nilai yang disalurkan %(amount)s.")
                % {"planned": rupiah(current.amount), "amount": rupiah(amount)}
            )
    else:
        before = current.amount or 0
        total, latest = before + amount, max(current.delivered_on or delivered_on, delivered_on)
        warnings.append(
            _(
                "Penyaluran bertahap: %(amount)s pada %(date)s ditambahkan ke %(before)s yang sudah tercatat "
                "(terakhir %(before_date)s); total tersalurkan %(total)s, terakhir %(latest)s."
            )
            % {
                "amount": rupiah(amount), "date": _day(delivered_on), "before": rupiah(before),
                "before_date": _day(current.delivered_on), "total": rupiah(total), "latest": _day(latest),
            }
        )
    if delivered_on.year != current.year:
        warnings.append(
            _("Tanggal penyaluran %(date)s tidak di tahun program %(year)s; periksa tanggal atau tahun kepesertaannya.")
            % {"date": _day(delivered_on), "year": current.year}
        )
    # Marked among the stages: a list's next stage may be this same payment (``programs.claims``).
    stages = STAGE_SEPARATOR.join([*current.counted_stages(), f"{PORTAL_STAGE} {_day(delivered_on)}"])
    result = enrollment_update(enrollment=current, by=by, delivered_on=latest, amount=total, stages=stages)
    result.warnings = warnings
    return result


def _recorded_since(current: Enrollment) -> str:
    """Why a delivery typed on a page that no longer shows what is recorded is refused, with what is
    recorded now and who changed it when."""
    changed = enrollment_last_change(current)
    if current.has_deliveries:
        return _(
            "Penyaluran tidak dicatat dua kali: sejak halaman Anda dibuka, penyaluran sudah dicatat oleh %(user)s "
            "pada %(when)s. Sekarang tercatat total tersalurkan %(total)s, terakhir %(latest)s. "
            "Bila ini memang tahap berikutnya, catat lagi dari halaman ini."
        ) % {**changed, "total": rupiah(current.amount) or "–", "latest": _day(current.delivered_on)}
    return _(
        "Penyaluran tidak dicatat: sejak halaman Anda dibuka, kepesertaan ini diubah oleh %(user)s pada %(when)s; "
        "sekarang nilai rencananya %(planned)s dan belum ada penyaluran. Periksa, lalu catat lagi dari halaman ini."
    ) % {**changed, "planned": rupiah(current.amount) or "–"}


@transaction.atomic
def enrollment_complete(*, enrollment: Enrollment, by: User) -> EnrollmentResult:
    """An active enrollment whose aid has been fully delivered is closed."""
    current = _locked(
        enrollment, by=by, allowed=(EnrollmentStatus.ACTIVE,),
        refused=_("Tidak dapat menyelesaikan: status kepesertaan saat ini %(status)s."),
    )
    return enrollment_update(enrollment=current, by=by, status=EnrollmentStatus.COMPLETED)


def export_log_create(*, user: User, kind: str, agency=None, filters: dict | None = None, row_count: int = 0) -> ExportLog:
    """Record who exported which list, with which filters, and how many rows left the building.
    ``kind`` is an ``ExportKind``: a kind without a label would show as a bare code in the admin."""
    if kind not in ExportKind.values:
        raise ValueError(f"unknown export kind {kind!r}: add it to agencies.models.ExportKind")
    return ExportLog.objects.create(
        user=user, kind=kind, agency=agency, filters=filters or {}, row_count=row_count
    )


@transaction.atomic
def user_save(*, user: User, by: User) -> User:
    """Save an account as an administrator edited it (the admin's user form).

    A superuser saves any account. A Bappeda operator saves only an account he may manage (checked
    on the stored row, so an edited id cannot reach a superuser), and only as an account with one of
    the managed roles and no admin rights: he cannot make anyone staff or superuser, himself included.
    """
    if not by.is_superuser:
        if user.pk is not None and not may_manage_user(by, user):
            raise PermissionDenied(_("Anda tidak berwenang mengubah akun ini."))
        if user.is_superuser or user.is_staff or user.role not in MANAGED_ROLES:
            raise PermissionDenied(
                _("Operator Bappeda hanya dapat mengelola akun Kepala Dinas, Operator Dinas, petugas verval dan Pimpinan.")
            )
    user.save()
    return user


def identifier_search_record(*, user: User, digits: str, record: bool = True) -> datetime.datetime | None:
    """Let a user who sees NIKs masked search one full NIK or No KK: ``None`` when allowed (the
    number is recorded as a keyed digest), or the time the next new number may be searched.

    A number already searched in the window stays allowed (the list's pages, its count and its export
    search it again); a new one is allowed while fewer than ``IDENTIFIER_SEARCH_LIMIT`` distinct
    numbers were searched in the last ``IDENTIFIER_SEARCH_WINDOW_MINUTES`` (none at all when the
    limit is 0). With ``record=False`` (the worker's recount of a list the user opened) the
    rule is only read: nothing is recorded. The user's row is locked so that two tabs
    cannot both take the last one; digests older than the window are deleted, everyone's."""
    now = timezone.now()
    window = datetime.timedelta(minutes=settings.IDENTIFIER_SEARCH_WINDOW_MINUTES)
    limit = settings.IDENTIFIER_SEARCH_LIMIT
    digest = hmac.new(settings.SECRET_KEY.encode(), digits.encode(), hashlib.sha256).hexdigest()
    with transaction.atomic():
        if record:
            User.objects.select_for_update().filter(pk=user.pk).exists()
            IdentifierSearch.objects.filter(searched_at__lt=now - window).delete()
        recent = IdentifierSearch.objects.filter(user=user, searched_at__gte=now - window)
        if recent.filter(digest=digest).exists():
            return None
        times = sorted(recent.values_list("searched_at", flat=True))
        if len(times) >= limit:
            return (times[len(times) - limit] if limit > 0 else now) + window
        if record:
            IdentifierSearch.objects.create(user=user, digest=digest, searched_at=now)
    return None
