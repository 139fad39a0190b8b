"""Checks of the registry that hold after every test (``conftest.one_aid_invariant`` runs them)."""


def identity_matches_name_records() -> None:
    """No identity match names a household or member the registry no longer holds."""
    from django.db.models import Exists, OuterRef, Q

    from dedup.models import IdentityMatch
    from households.models import Household, Member

    def gone(model, column):
        return ~Exists(model.objects.filter(pk=OuterRef(column)))

    dangling = IdentityMatch.objects.filter(
        Q(gone(Household, "household_a_id")) | Q(gone(Household, "household_b_id"))
        | Q(member_a__isnull=False) & Q(gone(Member, "member_a_id"))
        | Q(member_b__isnull=False) & Q(gone(Member, "member_b_id"))
    ).values_list("pk", flat=True)
    assert not dangling.exists(), f"identity matches {list(dangling[:5])} name a record that is gone"
