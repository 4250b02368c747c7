"""File permissions for results written atomically (a temporary file, then renamed)."""

from __future__ import annotations

import os
from pathlib import Path


def as_created_by_open(path: str | Path) -> None:
    """``mkstemp`` creates files readable by the owner only; give a finished result the
    permissions any file the user creates gets (0666 minus the umask)."""
    mask = os.umask(0)
    os.umask(mask)
    Path(path).chmod(0o666 & ~mask)
