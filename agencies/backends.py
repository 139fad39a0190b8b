"""Role-based admin permissions.

The role on the user, not per-user permission rows, decides what Bappeda operators may do in the
admin: every app of the registry, except deleting records the registry must keep (households,
members, enrollments, import batches, accounts and the dedup decisions are corrected, cancelled or
deactivated, never deleted), and looking verval up (read-only: it changes on its own pages). Which
accounts an operator may change is decided per object in the user admin
(``selectors.manageable_users``): never a superuser's or another operator's. Agency users and
leadership are not staff and have no admin access at all.
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
    "agencies.delete_user",
    "agencies.delete_exportlog",
    "agencies.change_exportlog",
    "agencies.add_exportlog",
}


# Verval is run on its own pages, stage by stage; in the admin an operator only looks it up.
VIEW_ONLY_APPS = {"verval"}

# Beyond the registry's apps: an operator sees failed logins and unlocks agency accounts.
LOGIN_LOCK_PERMISSIONS = {"axes.view_accessattempt", "axes.delete_accessattempt"}


class RolePermissionBackend(BaseBackend):
    def _is_operator(self, user_obj) -> bool:
        return bool(user_obj and user_obj.is_active and user_obj.is_staff and getattr(user_obj, "role", "") == Role.BAPPEDA_OPERATOR)

    def has_perm(self, user_obj, perm, obj=None):
        if not self._is_operator(user_obj):
            return False
        app_label = perm.split(".", 1)[0]
        if app_label in VIEW_ONLY_APPS:
            return perm.split(".", 1)[1].startswith("view_")
        return (app_label in REGISTRY_APPS and perm not in NEVER_DELETED) or perm in LOGIN_LOCK_PERMISSIONS

    def has_module_perms(self, user_obj, app_label):
        return self._is_operator(user_obj) and (app_label in REGISTRY_APPS | VIEW_ONLY_APPS or app_label == "axes")
