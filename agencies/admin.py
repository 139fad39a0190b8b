from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin

from agencies.models import Agency, ExportLog, Role, User
from agencies.resources import AgencyResource
from agencies.selectors import MANAGED_ROLES, manageable_users
from agencies.services import user_save


@admin.register(Agency)
class AgencyAdmin(ImportExportMixin, admin.ModelAdmin):
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


@admin.register(ExportLog)
class ExportLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "agency", "kind", "row_count"]
    list_filter = ["kind", "agency"]
    list_select_related = ["user", "agency"]
    readonly_fields = ["created_at", "user", "agency", "kind", "filters", "row_count"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
