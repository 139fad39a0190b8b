"""``{% covered_region %}``: the name of the area the registry covers (``KONUT_WILAYAH``), for titles.

``{% covered_region %}`` gives the short name (``Konawe Utara``, ``Sulawesi Tenggara``),
``{% covered_region full=True %}`` the full one (``Kabupaten Konawe Utara``). It needs no database,
so the standalone error pages use it too.

``{% area_head %}`` gives the title of the area's head in the active language (``Bupati``,
``Wali Kota``, ``Gubernur``), for the texts that name who approves.
"""

from django import template

from households.choices import area_head as _area_head
from households.regions import covered_region as _covered_region

register = template.Library()


@register.simple_tag
def covered_region(full: bool = False) -> str:
    full_name, short_name = _covered_region()
    return full_name if full else short_name


@register.simple_tag
def area_head() -> str:
    return str(_area_head().label)
