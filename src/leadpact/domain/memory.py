"""Runtime tuning shared by the hot loops (replay, reading the event log)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector around a bulk loop.

    Replaying or parsing a history allocates millions of small objects that hold no reference
    cycles; reference counting frees them all, but the collector's generation scans over them
    cost ~45 % of a million-event replay. The previous setting is restored afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
