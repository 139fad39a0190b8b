"""Fewer passes of the garbage collector over what an import holds to its end.

Pure Python. CPython's cycle collector goes over every container object it tracks each time it
collects its oldest generation, which it does whenever the objects that survived since the last
such pass reach a quarter of those it already holds. An import builds large structures and keeps
them to its end (the stored row hashes, the households read, the rows skipped as unchanged): each
of those passes goes over all of them again and finds nothing to free. An unchanged re-sync of
26,000 families made four such passes after the forked reader's rows came back, a third of a
second of CPU, more than the rest of what followed.

Inside ``long_lived()``, ``keep()`` moves every object alive at that point out of the collector's
reach (``gc.freeze``); leaving the outermost ``long_lived()`` lets them back in (``gc.unfreeze``).
Objects made after a ``keep()`` are collected as usual, and a kept object is still freed as soon
as nothing refers to it; only a reference cycle among kept objects waits for the end of the import
to be collected. A process that froze objects of its own (a server after loading its code) is
left as it is: nothing is frozen or unfrozen there.
"""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0
_owned = False  # whether the freezing is this module's (nothing was frozen when the first scope began)


@contextmanager
def long_lived():
    """A scope in which what is alive now, and at each ``keep()``, stays to its end."""
    global _holders, _owned
    with _lock:
        if _holders == 0:
            _owned = gc.get_freeze_count() == 0
        _holders += 1
    try:
        keep()
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _owned:
                _owned = False
                gc.unfreeze()


def keep() -> None:
    """Within ``long_lived()``: the objects alive now are kept to its end, out of the collector's way."""
    if _holders and _owned:
        gc.freeze()
