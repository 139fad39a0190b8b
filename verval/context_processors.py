"""What every page tells the leadership (the covered area's Bupati, Wali Kota or Gubernur): how
many verval batches wait for approval (the banner in ``base.html``). One count query, for the roles
that approve only."""

from __future__ import annotations

from verval.selectors import batches_awaiting_approval


def approvals(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"verval_waiting": batches_awaiting_approval(user)}
