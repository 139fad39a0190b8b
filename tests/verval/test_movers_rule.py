"""Who is moving in, the one rule the visit (which NIKs it accepts) and the approval (which members
it moves) both follow: the one present holder of the NIK, found leaving their family by the batch."""

from __future__ import annotations

from verval.selectors import movers_in

# (member, household, NIK)
SITTI = (1, 10, "7409014506010061")
HEAD = (2, 20, "7409010403750001")
TWICE = [(3, 30, "7409010101900003"), (4, 40, "7409010101900003")]


def test_a_member_found_moved_out_of_their_family_moves_in():
    assert movers_in([SITTI], leaving={1}, moved_away=set(), dead=set()) == {SITTI[2]: (1, 10)}


def test_any_member_of_a_family_moved_away_whole_moves_in_its_head_too_but_not_one_found_dead():
    assert movers_in([SITTI, HEAD], leaving=set(), moved_away={10, 20}, dead=set()) == {
        SITTI[2]: (1, 10), HEAD[2]: (2, 20)}
    assert movers_in([SITTI, HEAD], leaving=set(), moved_away={10, 20}, dead={1, 2}) == {}


def test_a_nik_two_present_members_hold_names_no_one():
    assert movers_in(TWICE, leaving={3, 4}, moved_away={30, 40}, dead=set()) == {}


def test_a_member_the_batch_does_not_find_leaving_stays():
    assert movers_in([SITTI], leaving=set(), moved_away={20}, dead=set()) == {}
