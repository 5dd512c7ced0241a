"""Content-addressed file storage for filing materials: a file lives at
``<root>/<aa>/<bb>/<sha256>``, so identical uploads are stored once and a stored file cannot be
changed without changing its key. Written to a temporary file and renamed, so a crash never
leaves half a file under a valid key."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


class MaterialStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    @staticmethod
    def key_for(sha256: str) -> str:
        return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def path(self, key: str) -> Path:
        return self.root / key

    def put(self, content: bytes) -> tuple[str, str, bool]:
        """Store ``content``; returns (sha256, key, created). ``created`` is False when the same
        content was already stored (then a failed transaction must not delete it)."""
        digest = hashlib.sha256(content).hexdigest()
        key = self.key_for(digest)
        target = self.path(key)
        if target.exists():
            return digest, key, False
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest, key, True

    def remove(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def read(self, key: str) -> bytes:
        return self.path(key).read_bytes()
