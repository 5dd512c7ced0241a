"""Registry benchmark (not a test): 20,000 synthetic entries, a real `clearance serve` (uvicorn)
on loopback, on SQLite and on PostgreSQL.

For each page (list, filtered list, entry, statistics) it measures
- p50/p99 latency at a fixed offered rate (default 500 req/s for 10 s, after 3 s at the same
  rate on the same connections) with an aiohttp open-loop client: requests are sent on schedule
  whether or not earlier ones returned, and latency counts from the scheduled send time, so a
  stall is not hidden (no coordinated omission);
- saturation throughput with wrk (16 connections, 2 threads, 10 s) and wrk's own p50/p99.

The filtered list rotates over 32 province x kind combinations and the entry page over random
ids among all 20,000, so those two exercise cache misses and the database, not only the cache.

    python bench/registry.py [--entries 20000] [--rate 500] [--seconds 10] [--backends sqlite,postgres]
PostgreSQL: CLEARANCE_BENCH_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test),
in its own schema `bench_registry`, dropped first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from clearance.adapters.db import registry as repo
from clearance.adapters.db.engine import make_engine, upgrade
from clearance.domain.registry.entries import Batch, DataType, Entry, Kind, RdMode, Scope
from clearance.domain.registry.provinces import ALL

PG_URL = os.environ.get("CLEARANCE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SCHEMA = "bench_registry"
SYLLABLES = ["zhi", "neng", "tian", "qiong", "yun", "xin", "hai", "xing", "hua", "long", "feng", "guang"]
HANZI = "智能天穹云心海星华龙风光问道灵犀通达慧言"
WEIGHTS = {"beijing": 30, "shanghai": 18, "guangdong": 12, "zhejiang": 9, "jiangsu": 6, "zhongyangqiye": 5}


def synthetic(n: int, seed: int = 7) -> tuple[list[Entry], list[Batch]]:
    rng = random.Random(seed)
    start = date(2023, 8, 31)
    batches = [Batch(key=f"b{i:03d}", title=f"第{i + 1}批", published_on=start + timedelta(days=30 * i))
               for i in range(40)]
    provs = [p.key for p in ALL]
    weights = [WEIGHTS.get(k, 1) for k in provs]
    out = []
    for i in range(n):
        prov = rng.choices(provs, weights)[0]
        prefix = next(p.prefix for p in ALL if p.key == prov)
        kind = Kind.FILING if rng.random() < 0.65 else Kind.REGISTRATION
        day = start + timedelta(days=rng.randrange(0, 1000))
        code = "".join(s.capitalize() for s in rng.sample(SYLLABLES, 3))
        number = (f"{prefix}-{code}-{day:%Y%m%d}{i:04d}"[:-4] + f"{i % 10000:04d}" if kind == Kind.FILING
                  else f"{prefix}-{code}-{day:%Y%m%d}S{i:05d}")
        out.append(Entry(kind=kind, seq=i + 1, province=prov, model_name="".join(rng.sample(HANZI, 4)) + f"{i}",
                         entity_zh=f"{''.join(rng.sample(HANZI, 3))}科技有限公司{i}", number=number, date=day,
                         date_precision="day", batch=batches[min(39, (day - start).days // 30)].key,
                         rd_mode=rng.choice(list(RdMode)), data_type=rng.choice(list(DataType)),
                         scope=rng.choice(list(Scope))))
    return out, batches


def load(url: str, n: int) -> float:
    eng = make_engine(url)
    upgrade(eng)
    entries, batches = synthetic(n)
    t0 = time.perf_counter()
    for i in range(0, len(entries), 2000):
        repo.add_entries(eng, entries[i:i + 2000], batches if i == 0 else [])
    # Planner statistics as a settled database would have them; on PostgreSQL this also keeps
    # autovacuum's post-load ANALYZE from landing in the middle of a measurement.
    with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE" if not url.startswith("sqlite") else "ANALYZE"))
    eng.dispose()
    return time.perf_counter() - t0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, home: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = dict(os.environ, CLEARANCE_DATABASE_URL=url, CLEARANCE_HOME=str(home))
    proc = subprocess.Popen([sys.executable, "-m", "clearance", "serve", "--port", str(port)], env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1).read()
            return proc, base
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def page_paths(n: int) -> dict[str, list[str]]:
    rng = random.Random(1)
    provs = ["beijing", "shanghai", "guangdong", "zhejiang", "jiangsu", "zhongyangqiye", "sichuan", "hubei",
             "anhui", "fujian", "shandong", "henan", "hunan", "chongqing", "tianjin", "shaanxi"]
    return {
        "list": ["/registry"],
        "filtered list": [f"/registry?province={p}&kind={k}" for p in provs for k in ("filing", "registration")],
        "entry": [f"/registry/entries/{rng.randrange(1, n + 1)}" for _ in range(5000)],
        "statistics": ["/registry/statistics"],
    }


async def fixed_rate(base: str, paths: list[str], rate: float, seconds: float,
                     warmup: float = 3.0) -> dict[str, float]:
    """Offer `rate` requests/s for warmup + seconds on one session; only the last `seconds`
    count. The warm-up at the same rate opens the connections the measurement then reuses:
    measured from a cold session, the first 0.1 s is TCP set-up of dozens of connections at once,
    a client artefact that alone made the p99."""
    import aiohttp

    skip = int(rate * warmup)
    total = skip + int(rate * seconds)
    lat: list[float] = []
    slow_at: list[float] = []   # when requests over 25 ms were scheduled: one stall or many?
    errors = 0
    conn = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(connector=conn) as session:
        loop = asyncio.get_running_loop()
        t0 = loop.time() + 0.05

        async def one(i: int) -> None:
            nonlocal errors
            scheduled = t0 + i / rate
            await asyncio.sleep(max(0.0, scheduled - loop.time()))
            try:
                async with session.get(base + paths[i % len(paths)]) as r:
                    await r.read()
                    ok = r.status == 200
            except aiohttp.ClientError:
                ok = False
            if i < skip:
                return
            errors += not ok
            lat.append((loop.time() - scheduled) * 1000)
            if lat[-1] > 25:
                slow_at.append(scheduled - t0 - warmup)

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(total)))
        elapsed = time.perf_counter() - started
    lat.sort()
    return {"offered": rate, "achieved": total / elapsed, "p50": statistics.median(lat),
            "p99": lat[int(0.99 * (len(lat) - 1))], "max": lat[-1], "errors": errors,
            "over_25ms": len(slow_at), "slow_from_s": min(slow_at, default=0.0), "slow_to_s": max(slow_at, default=0.0)}


WRK_LUA = """
paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
"""


def _ms(v: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", v)
    assert m, v
    return float(m[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m[2]]


def wrk(base: str, paths: list[str], seconds: int, tmp: Path) -> dict[str, float]:
    plist = tmp / "paths.txt"
    plist.write_text("\n".join(paths) + "\n")
    lua = tmp / "paths.lua"
    lua.write_text(WRK_LUA % plist)
    out = subprocess.run(["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", "-s", str(lua), base],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M)[1])  # type: ignore[index]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M)[1])  # type: ignore[index]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": p50, "p99": p99, "non2xx": int(non2xx[1]) if non2xx else 0}


def uncached_ms(url: str, n: int) -> dict[str, float]:
    """What a cache miss costs: the median time to build each page in-process (query + render),
    the work the server does once per page and registry version."""
    from clearance.domain.registry.query import RegistryQuery
    from clearance.interfaces.web.app import create_app
    from clearance.interfaces.web.registry import build

    eng = make_engine(url)
    web = create_app(eng).state.web
    rng = random.Random(3)
    makers = {
        "list": lambda: build.registry_list(web, RegistryQuery(), "html", "zh"),
        "filtered list": lambda: build.registry_list(web, RegistryQuery(province="guangdong", kind="filing"), "html", "zh"),
        "entry": lambda: build.entry(web, rng.randrange(1, n + 1), "html", "zh"),
        "statistics": lambda: build.statistics(web, "html", "zh"),
        "search": lambda: build.registry_list(web, RegistryQuery(q="zhineng"), "html", "zh"),
    }
    out = {}
    for page, make in makers.items():
        make()
        times = []
        for _ in range(15):
            t0 = time.perf_counter()
            make()
            times.append((time.perf_counter() - t0) * 1000)
        out[page] = statistics.median(times)
    eng.dispose()
    return out


def run_backend(name: str, url: str, args: argparse.Namespace, tmp: Path) -> dict[str, dict[str, object]]:
    loaded = load(url, args.entries)
    print(f"[{name}] loaded {args.entries} entries in {loaded:.1f} s", flush=True)
    cold = uncached_ms(url, args.entries)
    print(f"[{name}] uncached build (median ms): " + ", ".join(f"{k} {v:.1f}" for k, v in cold.items()), flush=True)
    proc, base = start_server(url, tmp)
    results: dict[str, dict[str, object]] = {"uncached_ms": dict(cold)}
    try:
        for page, paths in page_paths(args.entries).items():
            if args.pages and page not in args.pages.split(","):
                continue
            asyncio.run(fixed_rate(base, paths, 200, 2, warmup=0))   # warm up the server: caches, pools
            fr = asyncio.run(fixed_rate(base, paths, args.rate, args.seconds))
            sat = wrk(base, paths, args.seconds, tmp)
            results[page] = {"fixed": fr, "wrk": sat}
            print(f"[{name}] {page:14s} @{args.rate:.0f}/s: p50 {fr['p50']:.1f} ms p99 {fr['p99']:.1f} ms "
                  f"(errors {fr['errors']:.0f}; {fr['over_25ms']:.0f} over 25 ms, scheduled "
                  f"{fr['slow_from_s']:.1f}-{fr['slow_to_s']:.1f} s) | wrk c16: {sat['rps']:.0f} req/s p50 {sat['p50']:.1f} ms "
                  f"p99 {sat['p99']:.1f} ms", flush=True)
    finally:
        proc.terminate()
        proc.wait(10)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--entries", type=int, default=20_000)
    ap.add_argument("--rate", type=float, default=500.0)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--pages", default="", help="comma-separated subset of: list,filtered list,entry,statistics")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk not found (apt-get install wrk)")
    tmp = Path(tempfile.mkdtemp(prefix="bench-registry-"))
    all_results: dict[str, object] = {}
    try:
        for backend in args.backends.split(","):
            if backend == "sqlite":
                url = f"sqlite:///{tmp / 'registry.db'}"
            else:
                admin = create_engine(PG_URL)
                with admin.begin() as c:
                    c.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
                    c.execute(text(f"CREATE SCHEMA {SCHEMA}"))
                admin.dispose()
                sep = "&" if "?" in PG_URL else "?"
                url = f"{PG_URL}{sep}options=-csearch_path%3D{SCHEMA}"
            all_results[backend] = run_backend(backend, url, args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if "postgres" in args.backends:
            admin = create_engine(PG_URL)
            with admin.begin() as c:
                c.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            admin.dispose()
    if args.json:
        args.json.write_text(json.dumps(all_results, indent=2))


if __name__ == "__main__":
    main()
