"""`clearance serve` for real: uvicorn on loopback, in its own process, over the sample."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.registry.conftest import served_sample

pytestmark = pytest.mark.slow


def test_serve_loads_the_sample_and_serves_pages_and_twins(tmp_path: Path) -> None:
    with served_sample(tmp_path, CLEARANCE_REGISTRY_CACHE_SECONDS="0") as (base, env):
        req = urllib.request.Request(base + "/registry?province=beijing", headers={"Accept-Language": "en"})
        html = urllib.request.urlopen(req, timeout=5).read().decode()
        assert "Registry" in html and "文心一言" in html
        body = urllib.request.urlopen(base + "/registry.csv?all=1", timeout=5).read().decode("utf-8-sig")
        assert len(list(csv.DictReader(io.StringIO(body)))) == 115
        # an import by another process shows without a restart
        (tmp_path / "new.csv").write_text("序号,属地,模型名称,备案单位,备案号,备案时间\n"
                                          "1,北京市,新模型,新公司,Beijing-XinMoXing-20260101,2026-01-01\n",
                                          encoding="utf-8")
        subprocess.run([sys.executable, "-m", "clearance", "registry", "import", str(tmp_path / "new.csv")],
                       env=env, check=True, capture_output=True)
        body = urllib.request.urlopen(base + "/registry.csv?all=1", timeout=5).read().decode("utf-8-sig")
        assert len(list(csv.DictReader(io.StringIO(body)))) == 116
