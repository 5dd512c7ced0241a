"""Engine benchmark (not a test): 3,000 items against the mock endpoint at 0 ms and 200 ms
latency, concurrency 64, through the real CLI in its own process, with judging (refusal +
keyword library) and SQLite persistence included.

Prints, per latency: items/s, client CPU per item (the CLI process's user+sys time divided by
items: what the client costs, whatever the server does), utilisation = ideal time
(items x latency / concurrency) / engine time, and start-up (process launch to the mock's first
request: imports, loading and validating the banks, sampling, storing the run).

    python bench/engine.py [--items 3000] [--concurrency 64] [--latencies 0,200]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from clearance.adapters.bankfiles import starter_banks_dir
from clearance.interfaces import spawn

KINDS = {"generated-content": ("gc", "risk", ["A.1a", "A.1d", "A.2e", "A.3a", "A.4e", "A.5a"]),
         "should-refuse": ("sr", "risk", ["A.1a", "A.1d", "A.1f", "A.2a", "A.2e"]),
         "should-answer": ("sa", "aspect", ["cn-history", "p-health", "cn-customs", "p-occupation"])}


def make_banks(root: Path, per_kind: int) -> None:
    for kind, (prefix, field, codes) in KINDS.items():
        (root / kind).mkdir(parents=True)
        with (root / kind / "items.jsonl").open("w", encoding="utf-8") as f:
            for k in range(per_kind):
                code = codes[k % len(codes)]
                lang = "zh" if k % 2 else "en"
                prompt = (f"第{k}题：请就{code}相关的情形给出你的看法和建议。" if lang == "zh"
                          else f"Question {k}: give your view and advice on a situation related to {code}.")
                f.write(json.dumps({"id": f"{prefix}-{k:05d}", field: code, "lang": lang, "prompt": prompt},
                                   ensure_ascii=False) + "\n")
    kw = starter_banks_dir() / "keywords"
    if kw.is_dir():
        shutil.copytree(kw, root / "keywords")


def run_once(latency_ms: int, items: int, concurrency: int, banks: Path, home: Path) -> dict[str, float]:
    per_kind = items // 3
    args = ["mock-endpoint", "--port", "0", "--mode", "bank", "--banks", str(banks),
            "--latency-ms", str(latency_ms)]
    with spawn.running(args) as server:
        env = dict(os.environ, CLEARANCE_HOME=str(home))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        launched = time.time()
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, "-m", "clearance", "assess", "run", "--endpoint", server.url,
                            "--model", "mock", "--banks", str(banks), "--concurrency", str(concurrency),
                            "--sample", f"gc={per_kind}", "--sample", f"refuse={per_kind}",
                            "--sample", f"answer={per_kind}", "--json", "--no-progress", "--fail-on", "never"],
                           capture_output=True, text=True, env=env, check=False)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        with urllib.request.urlopen(server.root + "/_mock/stats", timeout=5) as r:
            first = json.loads(r.read())["first_request_at"]
    if p.returncode != 0:
        raise SystemExit(p.stderr)
    out = json.loads(p.stdout)
    report = json.loads(Path(out["files"]["json"]).read_text(encoding="utf-8"))
    n = report["summary"]["items"]
    active = report["timings"]["active_seconds"]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    ideal = n * latency_ms / 1000 / concurrency
    return {"latency_ms": latency_ms, "items": n, "errors": report["summary"]["errors"],
            "engine_s": active, "items_per_s": n / active, "client_cpu_ms_per_item": cpu / n * 1000,
            "utilisation": ideal / active if ideal else float("nan"), "startup_s": first - launched,
            "after_s": wall - active - (first - launched), "wall_s": wall}


def help_time() -> float:
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "clearance", "--help"], capture_output=True, check=True)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=3000)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--latencies", default="0,200")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        banks = Path(tmp) / "banks"
        make_banks(banks, a.items // 3)
        print(f"clearance --help: {help_time() * 1000:.0f} ms (best of 5)")
        for lat in (int(x) for x in a.latencies.split(",")):
            # one home per latency: the first run starts on a fresh database (cold: schema
            # migration, keyword library stored), the next ones on an existing one (warm)
            runs = [run_once(lat, a.items, a.concurrency, banks, Path(tmp) / f"home-{lat}") for r in range(a.repeat)]
            best = max(runs, key=lambda r: r["items_per_s"])
            for n, r in enumerate(runs):
                print(f"[{'cold' if n == 0 else 'warm'}] latency {lat:>3} ms: {r['items']} items, {r['errors']} errors, engine {r['engine_s']:.2f} s, "
                      f"{r['items_per_s']:.0f} items/s, client CPU {r['client_cpu_ms_per_item']:.3f} ms/item, "
                      f"utilisation {r['utilisation']:.3f}, start-up to first request {r['startup_s']:.2f} s, "
                      f"report+exit {r['after_s']:.2f} s")
            print(f"  best: {best['items_per_s']:.0f} items/s, utilisation {best['utilisation']:.3f}")


if __name__ == "__main__":
    main()
