from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin

from agencies.models import Agency, ExportLog, User
from agencies.resources import AgencyResource


@admin.register(Agency)
class AgencyAdmin(ImportExportMixin, admin.ModelAdmin):
    resource_classes = [AgencyResource]
    list_display = ["short_name", "name", "code", "is_coordinator", "order"]
    list_filter = ["is_coordinator"]
    search_fields = ["name", "short_name", "code"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "first_name", "last_name", "agency", "role", "is_staff", "is_active", "last_login"]
    list_filter = ["role", "agency", "is_staff", "is_active"]
    list_select_related = ["agency"]
    fieldsets = DjangoUserAdmin.fieldsets + ((_("OPD dan peran"), {"fields": ("agency", "role")}),)
    add_fieldsets = DjangoUserAdmin.add_fieldsets + ((_("OPD dan peran"), {"fields": ("agency", "role")}),)

    def get_readonly_fields(self, request, obj=None):
        # Only a superuser grants superuser status or individual permissions.
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "user_permissions", "groups"]
        return readonly


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
