from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ImportExportMixin
from konut_registry.admin_export import LabelledExportForm

from agencies import throttling
from agencies.admin_exports import LoggedExportMixin
from agencies.models import EXPORT_KIND_LABELS, Agency, ExportLog, Role, User
from agencies.resources import AgencyResource
from agencies.selectors import MANAGED_ROLES, manageable_users
from agencies.services import user_save


@admin.register(Agency)
class AgencyAdmin(LoggedExportMixin, ImportExportMixin, admin.ModelAdmin):
    export_form_class = LabelledExportForm
    resource_classes = [AgencyResource]
    list_display = ["short_name", "name", "code", "is_coordinator", "order"]
    list_filter = ["is_coordinator"]
    search_fields = ["name", "short_name", "code"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Accounts. A superuser manages every account; a Bappeda operator manages the accounts of agency
    heads, agency operators and leadership (``selectors.manageable_users``): he neither sees nor
    changes a superuser's or another operator's account, and his forms have no staff, superuser,
    group or permission field, so he can give no one more than a managed role carries."""

    list_display = ["username", "first_name", "last_name", "agency", "role", "is_staff", "is_active", "last_login"]
    list_filter = ["role", "agency", "is_staff", "is_active"]
    list_select_related = ["agency"]
    fieldsets = DjangoUserAdmin.fieldsets + ((_("OPD dan peran"), {"fields": ("agency", "role")}),)
    add_fieldsets = DjangoUserAdmin.add_fieldsets + ((_("OPD dan peran"), {"fields": ("agency", "role")}),)
    operator_fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Data pribadi"), {"fields": ("first_name", "last_name", "email")}),
        (_("OPD dan peran"), {"fields": ("agency", "role", "is_active")}),
        (_("Tanggal penting"), {"fields": ("last_login", "date_joined")}),
    )

    def get_queryset(self, request):
        return manageable_users(request.user).select_related("agency")

    def get_fieldsets(self, request, obj=None):
        if request.user.is_superuser or obj is None:
            return super().get_fieldsets(request, obj)
        return self.operator_fieldsets

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser and obj is not None:
            readonly += ["last_login", "date_joined"]
        return readonly

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if not request.user.is_superuser and "role" in form.base_fields:
            role = form.base_fields["role"]
            role.choices = [("", "---------"), *[(value, label) for value, label in Role.choices if value in MANAGED_ROLES]]
            role.required = True
        return form

    def _may_touch(self, request, obj) -> bool:
        return obj is None or request.user.is_superuser or manageable_users(request.user).filter(pk=obj.pk).exists()

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._may_touch(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_touch(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Accounts are deactivated, not deleted: exports and decisions keep pointing at them.
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        user_save(user=obj, by=request.user)


class ExportKindFilter(admin.SimpleListFilter):
    title = _("jenis")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        kinds = ExportLog.objects.order_by("kind").values_list("kind", flat=True).distinct()
        return [(kind, EXPORT_KIND_LABELS.get(kind, kind)) for kind in kinds]

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(ExportLog)
class ExportLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "agency", "kind_label", "row_count"]
    list_filter = [ExportKindFilter, "agency"]
    list_select_related = ["user", "agency"]
    readonly_fields = ["created_at", "user", "agency", "kind_label", "filters", "row_count"]
    fields = readonly_fields

    @admin.display(description=_("jenis"), ordering="kind")
    def kind_label(self, obj):
        return obj.kind_label

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- Login locks (django-axes) ------------------------------------------------------------------


class LockFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "kunci"

    def lookups(self, request, model_admin):
        return [("aktif", _("Masih berlaku")), ("kedaluwarsa", _("Sudah kedaluwarsa"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "aktif":
            return queryset.filter(expiration__expires_at__gt=now)
        if self.value() == "kedaluwarsa":
            return queryset.exclude(expiration__expires_at__gt=now)
        return queryset


def _unlocked_message(count: int) -> str:
    return ngettext(
        "Kunci dibuka: %(n)s catatan kegagalan dihapus.", "Kunci dibuka: %(n)s catatan kegagalan dihapus.", count
    ) % {"n": count}


admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LoginLockAdmin(admin.ModelAdmin):
    """Failed logins, one row per username and address (``agencies.throttling``). Unlocking deletes
    the rows: the username (from that address) or the whole address may log in again at once. An
    operator does not see, and so cannot unlock, the failures against staff or superuser accounts."""

    list_display = ["username", "ip_address", "failures_since_start", "attempt_time", "locked_until", "state"]
    list_filter = [LockFilter]
    search_fields = ["username", "ip_address"]
    fields = ["username", "ip_address", "failures_since_start", "attempt_time", "locked_until", "state", "user_agent", "path_info"]
    readonly_fields = fields
    actions = ["unlock", "unlock_addresses"]
    ordering = ["-attempt_time"]

    def get_queryset(self, request):
        active = AccessAttempt.objects.filter(ip_address=OuterRef("ip_address"), expiration__expires_at__gt=timezone.now())
        address_failures = active.order_by().values("ip_address").annotate(total=Sum("failures_since_start")).values("total")
        queryset = super().get_queryset(request).select_related("expiration").annotate(
            address_failures=Subquery(address_failures)
        )
        if not request.user.is_superuser:
            queryset = queryset.exclude(username__in=User.objects.filter(Q(is_staff=True) | Q(is_superuser=True)).values("username"))
        return queryset

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # "Buka kunci" says what deleting does
        return actions

    @admin.display(description=_("terkunci sampai"), ordering="expiration__expires_at")
    def locked_until(self, obj):
        expiration = getattr(obj, "expiration", None)
        return timezone.localtime(expiration.expires_at).strftime("%d/%m/%Y %H:%M") if expiration else "-"

    @admin.display(description=_("status"))
    def state(self, obj):
        expiration = getattr(obj, "expiration", None)
        if expiration is None or expiration.expires_at <= timezone.now():
            return _("Kedaluwarsa")
        if (getattr(obj, "address_failures", 0) or 0) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            return _("Alamat terkunci")
        if obj.failures_since_start >= settings.AXES_FAILURE_LIMIT:
            return _("Nama pengguna terkunci dari alamat ini")
        return _("Belum terkunci")

    @admin.action(description=_("Buka kunci nama pengguna terpilih (dari alamatnya)"), permissions=["delete"])
    def unlock(self, request, queryset):
        count = throttling.unlock(attempt_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, _unlocked_message(count), messages.SUCCESS)

    @admin.action(description=_("Buka kunci alamat terpilih (semua nama pengguna)"), permissions=["delete"])
    def unlock_addresses(self, request, queryset):
        addresses = set(queryset.values_list("ip_address", flat=True))
        rows = self.get_queryset(request).filter(ip_address__in=addresses)
        count = throttling.unlock(attempt_ids=list(rows.values_list("pk", flat=True)))
        self.message_user(request, _unlocked_message(count), messages.SUCCESS)
