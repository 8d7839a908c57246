"""File times set back, for tests of what specloop keeps until a folder or file changes."""

from __future__ import annotations

import os
import time
from pathlib import Path


def age(root: Path) -> None:
    """Every folder's and file's times below ``root`` an hour back: old enough for a walk
    to be kept (`specloop.kept_walks` keeps none that met a time within its clock tick)."""
    old = time.time() - 3600
    for directory, _, names in os.walk(root):
        for name in names:
            os.utime(os.path.join(directory, name), (old, old))
        os.utime(directory, (old, old))
