"""Registry fixtures: published lists in every format, and a web client over the `db` engine."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from clearance.adapters.registry_files import sample_dir
from tests.servers import clearance_env, free_port, wait_until_up

FIXTURES = Path(__file__).parents[1] / "fixtures" / "registry"
SAMPLE = sample_dir()
HEADER = ["序号", "属地", "模型名称", "备案单位", "备案号", "备案时间"]


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    import csv

    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def write_xlsx(path: Path, filings: list[list[object]], registrations: list[list[object]]) -> Path:
    """The provincial layout: a title, then each section title followed by its header and rows."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["广东省生成式人工智能服务备案信息（截至2024年3月）"])
    ws.append(["生成式人工智能服务已备案信息"])
    ws.append(HEADER)
    for r in filings:
        ws.append(r)
    ws.append([])
    ws.append(["生成式人工智能服务已登记信息"])
    ws.append(["序号", "属地", "模型名称", "备案单位", "上线编号", "登记时间"])
    for r in registrations:
        ws.append(r)
    wb.save(path)
    return path


@pytest.fixture
def client(db: Engine) -> Iterator[TestClient]:
    from clearance.interfaces.web.app import create_app

    # check_interval 0: every request sees registry changes at once (no stale cache in tests)
    with TestClient(create_app(db, cache_check_interval=0.0)) as c:
        yield c


@pytest.fixture
def sample_db(db: Engine) -> Engine:
    from clearance.services import registry as svc

    svc.load_sample(db, SAMPLE)
    return db


@contextmanager
def served_sample(home: Path, **env_extra: str) -> Iterator[tuple[str, dict[str, str]]]:
    """`clearance registry load-sample` then `clearance serve` on a free loopback port, each in
    its own process; yields the base URL and the environment (for further CLI calls)."""
    env = clearance_env(home, **env_extra)
    subprocess.run([sys.executable, "-m", "clearance", "registry", "load-sample"], env=env, check=True,
                   capture_output=True)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "clearance", "serve", "--port", str(port)], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/healthz", proc=proc)
        yield base, env
    finally:
        proc.terminate()
        proc.wait(10)
