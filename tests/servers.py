"""Starting real servers in tests: a free loopback port, the environment a `clearance`
subprocess should see, and waiting until a server answers (failing early if it died)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clearance_env(home: Path | None = None, **extra: str) -> dict[str, str]:
    """This process's environment without settings that would point a child at another instance."""
    env = dict(os.environ, **extra)
    for name in ("CLEARANCE_HOME", "CLEARANCE_DATABASE_URL", "CLEARANCE_LOG_FORMAT"):
        if name not in extra:
            env.pop(name, None)
    if home is not None:
        env["CLEARANCE_HOME"] = str(home)
    return env


def wait_until_up(url: str, *, proc: subprocess.Popen[str] | subprocess.Popen[bytes] | None = None,
                  timeout: float = 30.0) -> float:
    """Seconds until ``url`` answered; fails the test if the server exits or never answers."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc is not None and proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the server exited with {proc.returncode} before answering {url}:\n{out!r}\n{err!r}")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return time.monotonic() - t0
        except OSError:
            time.sleep(0.1)
    if proc is not None:
        proc.kill()
    pytest.fail(f"{url} did not answer within {timeout:g} s")
