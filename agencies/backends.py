"""Role-based admin permissions.

The role on the user, not per-user permission rows, decides what Bappeda operators may do in the
admin: every app of the registry, except deleting records the registry must keep (households,
members, enrollments, import batches and the dedup decisions are corrected or cancelled, never
deleted). Agency users and leadership are not staff and have no admin access at all.
"""

from django.contrib.auth.backends import BaseBackend

from agencies.models import Role

REGISTRY_APPS = {"households", "programs", "agencies", "dedup"}
NEVER_DELETED = {
    "households.delete_household",
    "households.delete_member",
    "households.delete_importbatch",
    "households.delete_provinsi",
    "households.delete_kabupaten",
    "households.delete_kecamatan",
    "households.delete_desa",
    "programs.delete_enrollment",
    "dedup.delete_conflict",
    "dedup.delete_identitymatch",
    "agencies.delete_exportlog",
    "agencies.change_exportlog",
    "agencies.add_exportlog",
}


class RolePermissionBackend(BaseBackend):
    def _is_operator(self, user_obj) -> bool:
        return bool(user_obj and user_obj.is_active and user_obj.is_staff and getattr(user_obj, "role", "") == Role.BAPPEDA_OPERATOR)

    def has_perm(self, user_obj, perm, obj=None):
        if not self._is_operator(user_obj):
            return False
        app_label = perm.split(".", 1)[0]
        return app_label in REGISTRY_APPS and perm not in NEVER_DELETED

    def has_module_perms(self, user_obj, app_label):
        return self._is_operator(user_obj) and app_label in REGISTRY_APPS
