"""System checks shown by ``runserver``, ``migrate`` and ``check``: the database holds regencies
outside the area ``KONUT_WILAYAH`` names (set up for another area first)."""

from django.core import checks
from django.db import DatabaseError

from households.regions import uncovered_warning


@checks.register()
def regions_outside_the_area(app_configs=None, **kwargs):
    try:
        warning = uncovered_warning()
    except DatabaseError:  # not migrated yet: nothing is loaded
        return []
    return [checks.Warning(warning, id="households.W001")] if warning else []
