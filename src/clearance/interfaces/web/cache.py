"""In-memory cache of rendered registry responses, invalidated when the registry changes.

Every registry write bumps a version number in the database (same transaction). A cache entry
remembers the version it was built from; the cache reads the current version at most every
`check_interval` seconds, so a publication or an import by another process (the CLI, another
worker) is visible within that interval, and changes made through this process at once."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Cached:
    body: bytes
    media_type: str
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()


class ResponseCache:
    def __init__(self, read_version: Callable[[], int], *, max_entries: int = 4096,
                 check_interval: float = 1.0) -> None:
        self._read_version = read_version
        self._max = max_entries
        self._interval = check_interval
        self._items: OrderedDict[str, Cached] = OrderedDict()
        self._version: int | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def _current(self) -> int:
        now = time.monotonic()
        if self._version is None or now - self._checked >= self._interval:
            v = self._read_version()
            with self._lock:
                if v != self._version:
                    self._items.clear()
                    self._version = v
                self._checked = now
        assert self._version is not None
        return self._version

    def get(self, key: str) -> Cached | None:
        self._current()
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                self.hits += 1
            else:
                self.misses += 1
            return hit

    def put(self, key: str, value: Cached, built_at_version: int) -> None:
        """Store a response unless the registry changed while it was being built."""
        with self._lock:
            if built_at_version != self._version:
                return
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._max:
                self._items.popitem(last=False)

    def version(self) -> int:
        return self._current()

    def invalidate(self) -> None:
        """Called after a change made through this process: re-read the version now."""
        with self._lock:
            self._checked = 0.0
            self._items.clear()
