"""Progress of an import run: the services report phases and rows; the task and the commands show them."""

from __future__ import annotations


class Progress:
    """Receives progress: ``phase(name, total)`` then ``advance(n)``. The base class ignores it.

    Phases: ``read`` (reading and checking rows), ``compare`` (with the registry), ``write`` and
    ``identity`` (the identity-duplicate scan after the import)."""

    def phase(self, name: str, total: int = 0) -> None:  # noqa: D401 - a hook
        pass

    def advance(self, count: int) -> None:
        pass
