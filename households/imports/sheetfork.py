"""One sheet read in a forked process while this process reads the others: two cores at work.

Pure Python (``multiprocessing`` with the ``fork`` start method, so the child starts with the
parsing context already built and nothing is imported or pickled to start it). The child and this
process talk through a pipe: the child sends what it found as soon as it has it, this process sends
what the child needs from the other sheets once it has it. Whatever goes wrong in the child (a
damaged sheet, a lost process), ``receive`` answers ``None`` and the caller reads the sheet itself,
so the operator sees exactly what the sequential reading gives, errors included.

The child never uses the database (the work it runs is parsing, plain Python by the project's
layering) and leaves the parent's connections alone: it ends with ``os._exit`` (``multiprocessing``
does so), so no connection object inherited from the parent is ever closed or finalized in it, and
the parent's sockets stay the parent's.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
from collections.abc import Callable

# Below this size (all the files of an import together) starting a process costs more than it saves.
MIN_BYTES = 2 * 1024 * 1024
_FAILED = "failed"


def usable(total_bytes: int) -> bool:
    """Whether a sheet should be read in a forked process: a large enough file, two cores, a
    system that forks, and a process allowed to start children (a daemonic one is not)."""
    return (
        total_bytes >= MIN_BYTES
        and (os.cpu_count() or 1) >= 2
        and "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon
    )


class ForkedSheet:
    """The child process running ``work(channel, *args)``; ``channel`` has ``send``, ``poll`` and
    ``recv`` (a ``multiprocessing`` connection)."""

    def __init__(self, work: Callable, *args) -> None:
        context = multiprocessing.get_context("fork")
        self._channel, child_end = context.Pipe()
        self._process = context.Process(target=_child, args=(work, child_end, args), daemon=True)
        self._process.start()
        child_end.close()
        self.alive = True

    def receive(self, waiting: Callable[[], None] | None = None, every: float = 0.5):
        """The child's next message, or ``None`` once it failed or ended (then it is stopped).
        ``waiting`` is called every ``every`` seconds until the message comes."""
        if not self.alive:
            return None
        try:
            while waiting is not None and not self._channel.poll(every):
                waiting()
            message = self._channel.recv()
        except (EOFError, OSError):
            message = _FAILED
        if isinstance(message, str) and message == _FAILED:
            self.close()
            return None
        return message

    def send(self, message) -> bool:
        if not self.alive:
            return False
        try:
            self._channel.send(message)
        except OSError:
            self.close()
            return False
        return True

    def close(self) -> None:
        """Stop the child (done or not) and release the pipe."""
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._channel.close()
        self.alive = False


def _child(work: Callable, channel, args) -> None:
    # The handlers the parent installed (a worker's stop handlers) are not the child's: stopped, it ends.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    # The objects inherited from the parent are never garbage here: the collector skips them, and
    # does not write to (and so copy) the pages they share with the parent.
    gc.freeze()
    try:
        work(channel, *args)
    except BaseException:  # noqa: BLE001 - any failure: the parent reads the sheet itself
        try:
            channel.send(_FAILED)
        except OSError:
            pass
    finally:
        channel.close()
