"""A deterministic synthetic registry for demos and benchmarks (``manage.py seed_demo``).

Families are spread over all loaded villages with desil 1-4, plausible living conditions and members
whose NIKs follow the rules in the domain brief (the village's district prefix, +40 for women). Some families get
aid, a few get a second aid that breaks the one-aid rule, and a few identity duplicates are planted
(one NIK in two families, one No KK twice, a name written two ways) so that every review screen has
something to show. Verval's doubts are planted too: a few aided families whose desil a later update
raised above their program's limit, a few aided families no longer found at their address, and a few
records missing a ranking variable. Nothing here is real data.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from agencies.models import Agency, Role, User
from households import models as hm
from households.choices import HeadTitle, area_head
from households.identifiers import make_nik
from households.imports.common import HOUSEHOLD_FIELDS, MEMBER_FIELDS
from households.imports.snapshot import source_snapshot
from households.regions import covered_area, covered_region, covered_villages
from programs.models import Enrollment, EnrollmentSource, EnrollmentStatus, Program, TargetUnit
from programs.services import enrollment_bulk_create

DEMO_PASSWORD = "konut-demo-2026"

MALE_NAMES = [
    "Muhammad", "Ahmad", "Abdul", "Andi", "La Ode", "Rahman", "Hasan", "Yusuf", "Ismail", "Ruslan", "Jumadi",
    "Lasandara", "Tamburaka", "Sarman", "Baharudin", "Syamsul", "Irwan", "Hendra", "Agus", "Nasrun", "Kadir",
    "Darwis", "Sultan", "Haerun", "Salim", "Amir", "Sudirman", "Mustafa", "Arifin", "Wahab",
]
FEMALE_NAMES = [
    "Siti", "Nurhayati", "Wa Ode", "Hasna", "Fatimah", "Rosmini", "Sitti", "Nur", "Aisyah", "Halima", "Marlina",
    "Jumriati", "Rahmawati", "Sumarni", "Hartati", "Yuliana", "Asni", "Nurlia", "Wahyuni", "Sartika",
]
FAMILY_NAMES = [
    "Lapodi", "Tosuli", "Sabara", "Laosa", "Mekuo", "Lamaranga", "Tamalaki", "Pagala", "Ruksamin", "Haera",
    "Saranani", "Lakidende", "Sanggona", "Tombili", "Lasulika", "Anakia", "Wolasi", "Bende", "Latambaga", "Ndoloma",
]


# Konawe Utara's roads for its own demo; any other area's demo families live on streets every
# Indonesian town has.
KONUT_STREETS = ["Poros Kendari-Asera", "Trans Sulawesi", "Pendidikan", "Masjid Raya", "Pelabuhan", "Lorong Damai", "Kebun Raya", "Sungai Lasolo"]
STREETS = ["Merdeka", "Pendidikan", "Masjid Raya", "Pahlawan", "Kartini", "Lorong Damai", "Pasar Baru", "Veteran"]
KONUT = "74.09"


def _streets() -> list[str]:
    return KONUT_STREETS if covered_area() == KONUT else STREETS


def _weighted(rng: random.Random, options: list[tuple[str, int]]) -> str:
    values, weights = zip(*options)
    return rng.choices(values, weights=weights)[0]


@dataclass
class DemoCounts:
    households: int = 0
    members: int = 0
    enrollments: int = 0
    conflicts: int = 0
    users: int = 0


def _person_name(rng: random.Random, female: bool) -> str:
    first = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
    return f"{first} {rng.choice(FAMILY_NAMES)}"


def _household_conditions(rng: random.Random, desil: int) -> dict:
    poor = desil <= 2
    return {
        "house_ownership": _weighted(rng, [("milik_sendiri", 70), ("bebas_sewa", 20 if poor else 8), ("kontrak_sewa", 5), ("lainnya", 3)]),
        "roof_type": _weighted(rng, [("asbes_seng", 70), ("jerami", 15 if poor else 4), ("kayu_sirap", 8), ("genteng", 5)]),
        "roof_quality": _weighted(rng, [("jelek", 45 if poor else 15), ("bagus", 55)]),
        "wall_type": _weighted(rng, [("kayu_papan", 55), ("tembok", 25 if not poor else 10), ("bambu", 15 if poor else 4), ("seng", 3)]),
        "wall_quality": _weighted(rng, [("jelek", 45 if poor else 15), ("bagus", 55)]),
        "floor_type": _weighted(rng, [("kayu_papan", 45), ("semen", 30), ("tanah", 15 if poor else 4), ("keramik", 8), ("bambu", 4)]),
        "floor_quality": _weighted(rng, [("jelek", 40 if poor else 15), ("bagus", 60)]),
        "lighting": _weighted(rng, [("pln_meteran", 60), ("pln_non_meteran", 20), ("non_pln", 10), ("bukan_listrik", 6 if poor else 2)]),
        # P3KE knows two classes of installed power; a house without its own meter has none.
        "electricity_power": _weighted(rng, [(hm.ElectricityPower.UP_TO_900, 80 if poor else 60), (hm.ElectricityPower.OVER_900, 5 if poor else 30), ("", 10)]),
        "cooking_fuel": _weighted(rng, [("arang_kayu", 55 if poor else 30), ("listrik_gas", 35), ("minyak_tanah", 10)]),
        "water_source": _weighted(rng, [
            ("sumur_terlindung", 30), ("sumur_tidak_terlindung", 20 if poor else 8), ("air_permukaan", 15 if poor else 5),
            ("kemasan", 15), ("ledeng", 10), ("sumur_bor", 8), ("air_hujan", 4),
        ]),
        "toilet": _weighted(rng, [("milik_sendiri", 55 if not poor else 40), ("umum_bersama", 25), ("lainnya", 20 if poor else 10)]),
        "has_savings": rng.random() < (0.15 if poor else 0.4),
        "stunting_risk": _weighted(rng, [("beresiko", 25 if poor else 10), ("tidak_beresiko", 45), ("bukan_sasaran", 30)]),
    }


def _head_of_region() -> tuple[str, str]:
    """The leadership account's name: Bupati of a regency, Wali Kota of a city, Gubernur of a province."""
    head = area_head()
    _full, short = covered_region()
    return head.value, short.removeprefix("Kota ") if head == HeadTitle.MAYOR else short


def ensure_demo_users() -> list[tuple[str, str, str]]:
    """One Bappeda operator, one head per agency, one agency operator, one field officer (a PKH
    facilitator of Dinas Sosial), one leadership account."""
    created = []
    bappeda = Agency.objects.get(code="bappeda")
    specs = [("bappeda", "Operator", "Bappeda", Role.BAPPEDA_OPERATOR, bappeda, True),
             ("bupati", *_head_of_region(), Role.LEADERSHIP, None, False)]
    for agency in Agency.objects.filter(is_coordinator=False).order_by("order"):
        specs.append((f"kadis-{agency.code}", "Kepala", agency.short_name, Role.AGENCY_HEAD, agency, False))
    specs.append(("operator-dinsos", "Operator", "Dinas Sosial", Role.AGENCY_OPERATOR, Agency.objects.get(code="dinsos"), False))
    specs.append(("pendamping-dinsos", "Pendamping", "PKH", Role.FIELD_OFFICER, Agency.objects.get(code="dinsos"), False))
    for username, first, last, role, agency, staff in specs:
        user, made = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last, "role": role, "agency": agency, "is_staff": staff}
        )
        if made:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        elif (user.first_name, user.last_name) != (first, last):
            # Seeded again after KONUT_WILAYAH changed: the leadership account is the new area's head.
            user.first_name, user.last_name = first, last
            user.save(update_fields=["first_name", "last_name"])
        created.append((username, role.label, str(agency or "-")))
    return created


@transaction.atomic
def seed_demo(*, families: int = 3000, seed: int = 2023, year: int = 2024, users: bool = True) -> DemoCounts:
    """Create ``families`` synthetic households (idempotent per seed: a second run adds nothing)."""
    counts = DemoCounts()
    prefix = f"9{seed % 100:02d}"
    if hm.Household.objects.filter(p3ke_id__startswith=prefix).exists():
        return counts
    rng = random.Random(seed)
    streets = _streets()
    villages = list(covered_villages().select_related("kecamatan").order_by("code"))
    if not villages:
        raise RuntimeError("Data acuan belum dimuat: jalankan `manage.py load_reference` dahulu.")
    today = datetime.date(year, 7, 1)
    households, member_rows = [], []
    for index in range(families):
        desa = villages[index % len(villages)] if index < len(villages) else rng.choice(villages)
        desil = _weighted(rng, [(1, 30), (2, 28), (3, 24), (4, 18)])
        district = desa.code_plain[:6]
        head_female = rng.random() < 0.15
        head_birth = datetime.date(rng.randint(1950, 1995), rng.randint(1, 12), rng.randint(1, 28))
        serial = index % 9000 + 1
        kk_date = datetime.date(rng.randint(2005, 2022), rng.randint(1, 12), rng.randint(1, 28))
        no_kk = f"{district}{kk_date:%d%m%y}{serial:04d}"
        head_name = _person_name(rng, head_female)
        head_nik = make_nik(region=district, birth=head_birth, female=head_female, serial=serial)
        household = hm.Household(
            p3ke_id=f"{prefix}{index:06d}", no_kk=no_kk, head_name=head_name, head_nik=head_nik,
            address=f"Jl. {rng.choice(streets)} No. {rng.randint(1, 120)}", dusun=f"Dusun {rng.randint(1, 5)}",
            rt=f"{rng.randint(1, 9):03d}", rw=f"{rng.randint(1, 4):03d}", desa=desa, desil=desil,
            persentil=min(100, (desil - 1) * 10 + rng.randint(1, 10)),
            desil_source=hm.DataSource.P3KE, source=hm.DataSource.P3KE, source_year=2023, updated_year=2023,
            verval_priority=hm.VervalPriority.NORMAL, **_household_conditions(rng, desil),
        )
        households.append(household)
        people = [(head_name, head_nik, head_female, head_birth, hm.Relation.HEAD)]
        if rng.random() < 0.8:
            spouse_birth = head_birth + datetime.timedelta(days=rng.randint(-2000, 2000))
            people.append((_person_name(rng, not head_female), make_nik(region=district, birth=spouse_birth, female=not head_female, serial=serial), not head_female, spouse_birth, hm.Relation.SPOUSE))
        for child in range(_weighted(rng, [(0, 15), (1, 25), (2, 30), (3, 20), (4, 10)])):
            female = rng.random() < 0.5
            birth = datetime.date(rng.randint(max(head_birth.year + 18, 2002), 2023), rng.randint(1, 12), rng.randint(1, 28))
            people.append((_person_name(rng, female), make_nik(region=district, birth=birth, female=female, serial=serial), female, birth, hm.Relation.CHILD))
        member_rows.append(people)

    # Identity duplicates to find: a KK written on two records, a person in two families, a name
    # written two ways with the same birth date.
    if families >= 50:
        households[11].no_kk = households[10].no_kk
        member_rows[21].append(member_rows[20][0][:4] + (hm.Relation.OTHER,))
        name, nik, female, birth, relation = member_rows[31][0]
        member_rows[30].append((name.replace("Muhammad", "Muh.") if "Muhammad" in name else "Muh. " + name, make_nik(region=households[30].desa.code_plain[:6], birth=birth, female=female, serial=9999), female, birth, hm.Relation.OTHER))

    for household in households:
        _as_imported(household, HOUSEHOLD_FIELDS)
    hm.Household.objects.bulk_create(households, batch_size=2000)
    if households[0].pk is None:
        by_id = dict(hm.Household.objects.filter(p3ke_id__startswith=prefix).values_list("p3ke_id", "pk"))
        for household in households:
            household.pk = by_id[household.p3ke_id]
    members = []
    marital = {hm.Relation.HEAD: hm.MaritalStatus.MARRIED, hm.Relation.SPOUSE: hm.MaritalStatus.MARRIED}
    for household, people in zip(households, member_rows):
        for number, (name, nik, female, birth, relation) in enumerate(people, start=1):
            age = (today - birth).days // 365
            members.append(hm.Member(
                household=household, nik=nik, id_individu=f"{household.p3ke_id}{number:02d}", name=name,
                sex=hm.Sex.FEMALE if female else hm.Sex.MALE, birth_date=birth, relation=relation,
                marital_status=marital.get(relation, hm.MaritalStatus.SINGLE),
                occupation=(_weighted(rng, [("petani", 45), ("nelayan", 20), ("pekerja_lepas", 15), ("wiraswasta", 10), ("tidak_bekerja", 10)]) if age >= 18 else hm.Occupation.NONE),
                education=(_weighted(rng, [("tamat_sd", 40), ("tidak_tamat_sd", 20), ("tamat_sltp", 20), ("tamat_slta", 15), ("tidak_sekolah", 5)]) if age >= 18 else (hm.Education.IN_SD if 6 <= age <= 12 else hm.Education.IN_SLTP if 13 <= age <= 15 else hm.Education.IN_SLTA if 16 <= age <= 18 else hm.Education.NONE)),
                dukcapil_match=_weighted(rng, [("padan", 90), ("tidak_padan", 7), ("kosong", 3)]),
            ))
    for member in members:
        _as_imported(member, MEMBER_FIELDS)
    hm.Member.objects.bulk_create(members, batch_size=5000)
    counts.households, counts.members = len(households), len(members)
    counts.enrollments, counts.conflicts = _seed_enrollments(rng, households, year)
    _plant_verval_doubts(random.Random(seed * 7 + 1), households)
    if users and getattr(settings, "DEMO_USERS_ENABLED", False):
        counts.users = len(ensure_demo_users())
    return counts


def _as_imported(record, fields) -> None:
    """What the source said of ``record`` (``source_values``), as a P3KE import keeps it: its values are
    the data's, not local corrections, and a later import replaces them as it does an imported family's."""
    record.source_values = source_snapshot({
        name: value for name in fields if (value := getattr(record, name)) is not None and value != ""
    })


def _plant_verval_doubts(rng: random.Random, households: list) -> None:
    """What verval's candidate lists look for, after the aid is given (its own generator, so that the
    families, members and aid above stay as they were): a later update put about 4% of the aided
    families in desil 5-7, 1% of them are no longer found at their address, and 1% of all records lack
    their source of drinking water."""
    aided = sorted(set(Enrollment.objects.filter(household__in=households).values_list("household_id", flat=True)))
    by_pk = {household.pk: household for household in households}
    # Data, as the families' other values: what the source said changes with them (``_as_imported``).
    for household_id in rng.sample(aided, len(aided) // 25):
        desil = rng.choice([5, 6, 7])
        household = by_pk[household_id]
        household.desil, household.persentil = desil, (desil - 1) * 10 + rng.randint(1, 10)
        _as_imported(household, HOUSEHOLD_FIELDS)
        hm.Household.objects.filter(pk=household_id).update(
            desil=household.desil, persentil=household.persentil, source_values=household.source_values,
        )
    hm.Household.objects.filter(pk__in=rng.sample(aided, len(aided) // 100)).update(is_absent=True)
    for household in rng.sample(households, len(households) // 100):
        household.water_source = ""
        _as_imported(household, HOUSEHOLD_FIELDS)
        hm.Household.objects.filter(pk=household.pk).update(water_source="", source_values=household.source_values)


def _seed_enrollments(rng: random.Random, households: list, year: int) -> tuple[int, int]:
    programs = {p.code: p for p in Program.objects.all()}
    heads = {}
    first_child = {}
    for member_id, household_id, relation, birth in hm.Member.objects.filter(household__in=households).values_list("pk", "household_id", "relation", "birth_date"):
        if relation == hm.Relation.HEAD:
            heads.setdefault(household_id, member_id)
        elif relation == hm.Relation.CHILD and birth and year - 18 <= birth.year <= year - 6:
            first_child.setdefault(household_id, member_id)
    by_condition = [
        ("pkh", lambda h: h.desil <= 2),
        ("sembako", lambda h: h.desil <= 3),
        ("pip", lambda h: h.pk in first_child),
        ("blt-desa", lambda h: h.desil == 1),
        ("bsps", lambda h: h.floor_type == "tanah" or h.wall_type == "bambu"),
        ("rutilahu", lambda h: h.roof_type == "jerami"),
        ("spam", lambda h: h.water_source in ("sumur_tidak_terlindung", "air_permukaan")),
        ("pupuk", lambda h: True),
        ("nelayan", lambda h: True),
        ("modal-usaha", lambda h: h.desil >= 3),
    ]
    enrollments = []

    def enroll(household, code, status):
        program = programs[code]
        member = None
        if program.target_unit == TargetUnit.PERSON:
            member = first_child.get(household.pk) if code == "pip" else heads.get(household.pk)
            if member is None:
                return
        enrollments.append(Enrollment(
            household=household, program=program, member_id=member, year=year, status=status,
            amount=rng.choice([300_000, 600_000, 750_000, 1_200_000, 2_400_000]) if status == EnrollmentStatus.ACTIVE else None,
            source=EnrollmentSource.P3KE if code in ("pkh", "sembako") else EnrollmentSource.MANUAL,
        ))

    for household in households:
        roll = rng.random()
        if roll < 0.45:
            eligible = [code for code, test in by_condition if test(household)]
            if not eligible:
                continue
            first = rng.choice(eligible)
            enroll(household, first, _weighted(rng, [(EnrollmentStatus.ACTIVE, 70), (EnrollmentStatus.PROPOSED, 25), (EnrollmentStatus.COMPLETED, 5)]))
            if rng.random() < 0.08:
                others = [code for code in eligible if code != first]
                if others:
                    enroll(household, rng.choice(others), EnrollmentStatus.PROPOSED)
    result = enrollment_bulk_create(enrollments=enrollments)
    return len(result.created), len(result.conflicts)
