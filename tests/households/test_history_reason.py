"""What a household's or member's history keeps of a long reason: whole words, then an ellipsis."""

import pytest

from households.models import Member
from households.services import history_reason


@pytest.mark.parametrize("reason, kept", [
    ("", None),
    ("x" * 100, "x" * 100),  # fits as it is
    ("x" * 150, "x" * 99 + "…"),  # one word longer than the history keeps
    ("a " * 60, ("a " * 50).rstrip() + "…"),  # the 100th character is a space
    ("Verval disahkan 01/12/2026: " + "Kunjungan · " * 10, "Verval disahkan 01/12/2026: " + "Kunjungan · " * 5 + "Kunjungan…"),
])
def test_a_reason_is_cut_after_its_last_whole_word(reason, kept):
    assert history_reason(reason) == kept
    assert history_reason(reason, Member) == kept  # the members' history keeps as much
