"""Results of walking a tree, kept until a folder the walk listed or a file it read changes.

A server runs the loop again and again over one tree, and in a large tree walking it
(and judging each name found) cost more per run than everything the run reads. A
folder's stamp (times, inode) changes whenever an entry is added to it, removed from it
or renamed in it, so a walk whose folders all keep their stamps would list the same
names again. Editing a file leaves its folder's stamp alone: a walk whose result depends
on what files hold (a .gitignore, a secrets file) stamps those files too.

File times come from a coarse clock: a folder changed twice within one tick can keep the
stamp of the first change. A walk that met a modification time that recent is not kept
(git calls such an entry racily clean), so its next caller walks again.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Hashable, Iterable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")

Stamp = tuple[int, int, int, int] | None
"""A path's modification and change times, inode and size; None when it is missing."""

_TICK_NS = 3_000_000_000
"""Longer than any file system's clock tick (FAT's is two seconds, rounded down)."""


class KeptWalks(Generic[K, T]):
    """Walk results by key (the walk's root and rules), each with the stamps it met."""

    def __init__(self, limit: int = 16) -> None:
        self._kept: dict[K, tuple[tuple[tuple[str, Stamp], ...], T]] = {}
        self._limit = limit
        self._lock = threading.Lock()

    def get(self, key: K) -> T | None:
        """The kept result if every path it stamped still has its stamp."""
        with self._lock:
            kept = self._kept.get(key)
        if kept is None:
            return None
        stamps, result = kept
        return result if all(stamp_of(path) == stamp for path, stamp in stamps) else None

    def keep(self, key: K, paths: Iterable[str], result: T, started_ns: int) -> None:
        """Keep ``result`` of a walk that began at ``started_ns`` (`time.time_ns`) and
        depends on ``paths`` (the folders it listed, the files it read)."""
        # Stamped after the walk: a change made while it ran is newer than its start, so
        # it makes the walk racy rather than hiding in the stamps.
        stamps = tuple((path, stamp_of(path)) for path in paths)
        recent = started_ns - _TICK_NS
        racy = any(stamp is not None and stamp[0] >= recent for _, stamp in stamps)
        with self._lock:
            self._kept.pop(key, None)
            if racy:
                return
            if len(self._kept) >= self._limit:
                del self._kept[next(iter(self._kept))]
            self._kept[key] = (stamps, result)


def stamp_of(path: str) -> Stamp:
    try:
        return file_stamp(os.stat(path))
    except OSError:
        return None


def file_stamp(found: os.stat_result) -> tuple[int, int, int, int]:
    """What changes whenever a file (or a folder's list of names) does."""
    return (found.st_mtime_ns, found.st_ctime_ns, found.st_ino, found.st_size)
