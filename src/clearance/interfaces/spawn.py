"""Start Clearance's own servers (mock endpoint, local model) as child processes and wait until
they listen. Used by the quickstart, the benchmarks and the end-to-end tests, so all three
exercise a real HTTP server in its own process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

_READY = re.compile(r"listening on (http://\S+)")


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str

    @property
    def root(self) -> str:
        return self.url.removesuffix("/v1")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(args: Sequence[str], timeout: float = 60.0) -> Server:
    """Run ``python -m clearance ARGS`` and return once it prints 'listening on URL'."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "clearance", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        seen.append(line.rstrip())
        m = _READY.search(line)
        if m:
            return Server(proc, m.group(1))
    proc.kill()
    raise RuntimeError("server did not start: " + " | ".join(seen[-10:]))


@contextmanager
def running(args: Sequence[str], timeout: float = 60.0) -> Iterator[Server]:
    server = start(args, timeout)
    try:
        yield server
    finally:
        server.stop()
