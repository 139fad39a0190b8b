"""factory_boy factories for tests. Reference data (regions, agencies, programs) comes from the
real ``load_reference`` fixture in ``conftest.py``; these build the people and their aid."""

import datetime

import factory
from factory.django import DjangoModelFactory

from agencies.models import Agency, Role, User
from households.identifiers import make_nik
from households.models import Desa, Household, Member, Relation, Sex
from programs.models import Enrollment, EnrollmentStatus, Program


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("rahasia-uji-123")
    role = Role.BAPPEDA_OPERATOR
    is_staff = factory.LazyAttribute(lambda u: u.role == Role.BAPPEDA_OPERATOR)

    @factory.lazy_attribute
    def agency(self):
        if self.role in (Role.AGENCY_HEAD, Role.AGENCY_OPERATOR, Role.FIELD_OFFICER):
            return Agency.objects.get(code="dinsos")
        if self.role == Role.BAPPEDA_OPERATOR:
            return Agency.objects.get(code="bappeda")
        return None


class HouseholdFactory(DjangoModelFactory):
    class Meta:
        model = Household

    p3ke_id = factory.Sequence(lambda n: str(122000000 + n))
    # Serial 0001-9999: a No KK ending 0000 is one the importer and the admin warn about.
    no_kk = factory.Sequence(lambda n: f"740901010120{n % 9999 + 1:04d}")
    head_name = factory.Faker("name", locale="id_ID")
    head_nik = factory.Sequence(lambda n: make_nik(region="740901", birth=datetime.date(1980, 1, 1), female=False, serial=n % 9999 + 1))
    desa = factory.LazyFunction(lambda: Desa.objects.order_by("code").first())
    desil = 1
    source = "p3ke"
    source_year = 2023


class MemberFactory(DjangoModelFactory):
    class Meta:
        model = Member

    household = factory.SubFactory(HouseholdFactory)
    name = factory.Faker("name", locale="id_ID")
    nik = factory.Sequence(lambda n: make_nik(region="740902", birth=datetime.date(2010, 5, 17), female=False, serial=n % 9999 + 1))
    sex = Sex.MALE
    birth_date = datetime.date(2010, 5, 17)
    relation = Relation.CHILD


class EnrollmentFactory(DjangoModelFactory):
    """Builds an enrollment row directly; tests of save paths call the services instead."""

    class Meta:
        model = Enrollment

    household = factory.SubFactory(HouseholdFactory)
    program = factory.LazyFunction(lambda: Program.objects.get(code="pkh"))
    year = 2024
    status = EnrollmentStatus.ACTIVE
