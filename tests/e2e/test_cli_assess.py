"""End to end: the `clearance` CLI in a subprocess against the mock endpoint in another
subprocess, over real HTTP, with its own SQLite database."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from clearance.adapters.endpoints.mock import prompt_key
from clearance.interfaces import spawn
from tests.conftest import FIXTURE_BANKS

pytestmark = pytest.mark.slow


def cli(args: list[str], home: Path, check: bool = False, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CLEARANCE_HOME=str(home), COLUMNS="200")
    env.pop("CLEARANCE_DATABASE_URL", None)
    p = subprocess.run([sys.executable, "-m", "clearance", *args], capture_output=True, text=True, env=env, timeout=timeout)
    if check:
        assert p.returncode == 0, p.stdout + p.stderr
    return p


def stats(server: spawn.Server) -> dict[str, int]:
    with urllib.request.urlopen(server.root + "/_mock/stats", timeout=5) as r:
        data: dict[str, int] = json.loads(r.read())["calls"]
        return data


@pytest.fixture
def bank_mock() -> Iterator[spawn.Server]:
    with spawn.running(["mock-endpoint", "--port", "0", "--mode", "bank", "--banks", str(FIXTURE_BANKS),
                        "--refuse-rate", "1.0", "--over-refuse-rate", "0", "--unsafe-rate", "0.1"]) as s:
        yield s


def test_run_list_status_report(bank_mock: spawn.Server, tmp_path: Path) -> None:
    p = cli(["assess", "run", "--endpoint", bank_mock.url, "--model", "mock", "--banks", str(FIXTURE_BANKS),
             "--json", "--concurrency", "8"], tmp_path)
    assert p.returncode in (0, 1), p.stderr
    out = json.loads(p.stdout)
    run_id = out["run_id"]
    assert out["gates"]["should-answer"] == "MARGINAL"  # 0/48 refused, but 48 items cannot prove <= 5%
    report = json.loads(Path(out["files"]["json"]).read_text(encoding="utf-8"))
    assert report["summary"]["items"] == 168 and report["summary"]["errors"] == 0
    gates = {g["id"]: g for g in report["gates"]}
    assert gates["should-refuse"]["rate"] == 1.0 and gates["should-answer"]["rate"] == 0.0
    assert sum(stats(bank_mock).values()) == 168
    html = Path(out["files"]["html"]).read_text(encoding="utf-8")
    assert run_id in html and "条款符合性" in html and "Clause conformity" in html

    listed = json.loads(cli(["assess", "list", "--json"], tmp_path, check=True).stdout)
    assert listed[0]["id"] == run_id and listed[0]["status"] == "completed"
    st = json.loads(cli(["assess", "status", run_id, "--json"], tmp_path, check=True).stdout)
    assert st["counts"] == {"done": 168} and st["report_sha256"] == out["report_sha256"]
    csv_text = cli(["assess", "report", run_id, "--format", "csv"], tmp_path, check=True).stdout
    assert len(csv_text.strip().splitlines()) == 169


def test_exit_code_is_1_when_a_gate_fails(tmp_path: Path) -> None:
    with spawn.running(["mock-endpoint", "--port", "0", "--mode", "refuse"]) as s:
        p = cli(["assess", "run", "--endpoint", s.url, "--model", "m", "--banks", str(FIXTURE_BANKS), "--no-progress"], tmp_path)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "FAIL" in p.stdout and "HTML report:" in p.stdout


def test_faults_finish_and_are_reported(tmp_path: Path) -> None:
    with spawn.running(["mock-endpoint", "--port", "0", "--mode", "comply", "--error-rate", "0.1",
                        "--rate-limit-rate", "0.1", "--retry-after", "0.05", "--malformed-rate", "0.05",
                        "--empty-rate", "0.05", "--hang-rate", "0.03", "--hang-s", "3", "--fault-scope", "prompt"]) as s:
        p = cli(["assess", "run", "--endpoint", s.url, "--model", "m", "--banks", str(FIXTURE_BANKS), "--json",
                 "--retries", "1", "--timeout", "0.5", "--concurrency", "16"], tmp_path)
    out = json.loads(p.stdout)
    report = json.loads(Path(out["files"]["json"]).read_text(encoding="utf-8"))
    by_type = report["errors"]["by_type"]
    assert set(by_type) == {"http_5xx", "http_429", "malformed", "timeout"}, by_type
    assert report["errors"]["empty_responses"] > 0
    assert report["summary"]["completed"] + report["summary"]["errors"] == 168
    html = Path(out["files"]["html"]).read_text(encoding="utf-8")
    assert all(k in html for k in by_type)


def test_connection_refused_run_finishes_with_errors(tmp_path: Path) -> None:
    p = cli(["assess", "run", "--endpoint", "http://127.0.0.1:9/v1", "--model", "m", "--banks", str(FIXTURE_BANKS),
             "--json", "--retries", "0"], tmp_path)
    out = json.loads(p.stdout)
    assert p.returncode == 1 and out["decision"] == "FAIL"
    report = json.loads(Path(out["files"]["json"]).read_text(encoding="utf-8"))
    assert report["errors"]["by_type"] == {"connection": 168}


def _stored_prompts(home: Path, run_id: str) -> set[str]:
    with sqlite3.connect(home / "clearance.db") as c:
        rows = c.execute("select prompt from assessment_items where run_id=? and status!='pending'", (run_id,)).fetchall()
    return {r[0] for r in rows}


def test_sigkill_then_resume_sends_nothing_twice_and_matches_an_uninterrupted_run(tmp_path: Path) -> None:
    args = ["mock-endpoint", "--port", "0", "--mode", "bank", "--banks", str(FIXTURE_BANKS), "--latency-ms", "40",
            "--refuse-rate", "0.9", "--over-refuse-rate", "0.1", "--unsafe-rate", "0.2"]
    run_args = ["--model", "m", "--banks", str(FIXTURE_BANKS), "--json", "--concurrency", "4", "--no-progress"]
    home = tmp_path / "killed"
    with spawn.running(args) as s:
        env = dict(os.environ, CLEARANCE_HOME=str(home))
        proc = subprocess.Popen([sys.executable, "-m", "clearance", "assess", "run", "--endpoint", s.url, *run_args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        deadline = time.monotonic() + 60
        run_id = None
        while time.monotonic() < deadline:
            time.sleep(0.2)
            if not (home / "clearance.db").exists():
                continue
            try:
                with sqlite3.connect(home / "clearance.db") as c:
                    row = c.execute("select run_id, count(*) from assessment_items where status='done' group by run_id").fetchone()
            except sqlite3.OperationalError:  # the file exists a moment before its tables do
                continue
            if row and row[1] >= 50:
                run_id = row[0]
                break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert run_id is not None
        stored = _stored_prompts(home, run_id)
        assert 50 <= len(stored) < 168
        before = stats(s)
        p = cli(["assess", "resume", run_id, "--json", "--no-progress"], home)
        after = stats(s)
    resumed = json.loads(p.stdout)
    # no item whose result was stored before the kill was sent again
    for prompt in stored:
        assert after[prompt_key(prompt)] == before[prompt_key(prompt)]
    assert sum(after.values()) - sum(before.values()) == 168 - len(stored)

    with spawn.running(args) as s2:
        q = cli(["assess", "run", "--endpoint", s2.url, *run_args], tmp_path / "clean")
    clean = json.loads(q.stdout)
    r1 = json.loads(Path(resumed["files"]["json"]).read_text(encoding="utf-8"))
    r2 = json.loads(Path(clean["files"]["json"]).read_text(encoding="utf-8"))
    assert [(g["id"], g["rate"], g["n"], g["verdict"]) for g in r1["gates"]] == \
           [(g["id"], g["rate"], g["n"], g["verdict"]) for g in r2["gates"]]


def test_rejudge_does_not_call_the_model(bank_mock: spawn.Server, tmp_path: Path) -> None:
    out = json.loads(cli(["assess", "run", "--endpoint", bank_mock.url, "--model", "m", "--banks", str(FIXTURE_BANKS),
                          "--json"], tmp_path).stdout)
    n = sum(stats(bank_mock).values())
    again = json.loads(cli(["assess", "rejudge", out["run_id"], "--json"], tmp_path).stdout)
    assert sum(stats(bank_mock).values()) == n
    assert again["gates"] == out["gates"] and again["report_sha256"] == out["report_sha256"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sample", "gc=lots"], "--sample 'gc=lots'"),
        (["--plan", "nope"], "--plan 'nope' is not known"),
        (["--api-key-env", "CLEARANCE_TEST_UNSET_KEY"], "CLEARANCE_TEST_UNSET_KEY is not set"),
        (["--banks", "/nonexistent"], "nothing was run"),
    ],
)
def test_bad_input_is_refused_with_the_fix_and_stores_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    p = cli(["assess", "run", "--endpoint", "http://127.0.0.1:9/v1", "--model", "m", *args], tmp_path)
    assert p.returncode == 2 and message in p.stderr, p.stderr
    listed = json.loads(cli(["assess", "list", "--json"], tmp_path, check=True).stdout)
    assert listed == []


def test_bad_endpoint_url(tmp_path: Path) -> None:
    p = cli(["assess", "run", "--endpoint", "localhost:8000", "--model", "m"], tmp_path)
    assert p.returncode == 2 and "must start with http://" in p.stderr


def test_unknown_run(tmp_path: Path) -> None:
    p = cli(["assess", "status", "nope"], tmp_path)
    assert p.returncode == 2 and "no assessment run 'nope'" in p.stderr


def test_banks_validate_and_stats(tmp_path: Path) -> None:
    # the fixture's templated prompts are near-duplicates of each other: reported, exit 1
    p = cli(["banks", "validate", str(FIXTURE_BANKS), "--json"], tmp_path)
    out = json.loads(p.stdout)
    assert p.returncode == 1 and out["ok"] is False and out["near_duplicates"]["should-refuse"]
    assert out["banks"]["keywords"]["items"] == 5
    st = json.loads(cli(["banks", "stats", str(FIXTURE_BANKS), "--json"], tmp_path, check=True).stdout)
    assert st["counts"]["should-refuse"]["A.1a/zh"] == 6
    bad = tmp_path / "bad"
    (bad / "should-refuse").mkdir(parents=True)
    (bad / "should-refuse" / "x.jsonl").write_text('{"id": "1", "lang": "zh", "prompt": "p", "risk": "Z"}\n')
    p = cli(["banks", "validate", str(bad)], tmp_path)
    assert p.returncode == 1 and "unknown risk code 'Z'" in p.stderr


def test_quickstart_with_the_mock_prints_where_the_report_is(tmp_path: Path) -> None:
    p = cli(["quickstart", "--target", "mock", "--no-progress"], tmp_path, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Assessing the scripted mock endpoint instead" in p.stdout
    html = Path(next(line.split("HTML report:")[1].strip() for line in p.stdout.splitlines() if "HTML report:" in line))
    assert html.is_file() and "安全评估报告" in html.read_text(encoding="utf-8")
    report = json.loads((html.parent / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]["items"] == 1600
    assert {c["verdict"] for c in report["clauses"]} == {"符合"}  # starter banks and tc260 sample sizes


def test_manual_sample_label_and_judge_commands(bank_mock: spawn.Server, tmp_path: Path) -> None:
    out = json.loads(cli(["assess", "run", "--endpoint", bank_mock.url, "--model", "m", "--banks", str(FIXTURE_BANKS),
                          "--json"], tmp_path).stdout)
    run_id = out["run_id"]
    sample = tmp_path / "sample.jsonl"
    cli(["assess", "manual-sample", run_id, "-n", "30", "--out", str(sample)], tmp_path, check=True)
    rows = [json.loads(x) for x in sample.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 30
    for r in rows:  # the assessor agrees with the judges (and leaves "harmful" open where they disagree)
        r["refusal_class"] = r["judge_refusal_class"]
        r["harmful"] = r["judge_harmful"] if r["kind"] == "generated-content" else None
        r["risk_code"] = r["stratum"] if r["harmful"] else None
    sample.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    labelled = cli(["assess", "label", run_id, str(sample), "--labeller", "li.lei", "--json"], tmp_path, check=True)
    res = json.loads(labelled.stdout)
    assert res["gates"]["generated-content-manual"] in ("PASS", "FAIL", "MARGINAL")
    assert res["report_sha256"] != out["report_sha256"]
    report = json.loads(Path(res["files"]["json"]).read_text(encoding="utf-8"))
    assert {a["judge"] for a in report["judge_agreement"]} >= {"refusal", "keyword"}
    assert all(a["accuracy"] == 1.0 for a in report["judge_agreement"])

    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text('{"id": "1", "prompt": "p", "response": "抱歉，我不能帮助你。"}\n', encoding="utf-8")
    j = cli(["judge", str(pairs)], tmp_path, check=True)
    assert json.loads(j.stdout)["refusal_class"] == "full_refusal"


def test_judge_model_adds_the_classifier_gate(bank_mock: spawn.Server, tmp_path: Path) -> None:
    empty = tmp_path / "none.jsonl"
    empty.write_text("", encoding="utf-8")
    verdict = json.dumps({"refusal_class": "full_compliance", "harmful": False, "risk_code": None, "reason": "benign"})
    with spawn.running(["mock-endpoint", "--port", "0", "--mode", "file", "--answers", str(empty),
                        "--default-response", verdict]) as judge:
        p = cli(["assess", "run", "--endpoint", bank_mock.url, "--model", "m", "--banks", str(FIXTURE_BANKS), "--json",
                 "--judge-endpoint", judge.url, "--judge-model", "judge-72b"], tmp_path)
        judged = sum(stats(judge).values())
    out = json.loads(p.stdout)
    report = json.loads(Path(out["files"]["json"]).read_text(encoding="utf-8"))
    gate = next(g for g in report["gates"] if g["id"] == "generated-content-classifier")
    assert gate["n"] == 60 and gate["rate"] == 1.0 and gate["undecided"] == 0
    assert judged == 168  # every answer was graded once (cached thereafter)
    assert any(j["name"] == "model" and j["args"]["model"] == "judge-72b" for j in report["judges"])


def test_without_a_judge_model_the_local_harm_classifier_decides_the_classifier_gate(
        bank_mock: spawn.Server, tmp_path: Path) -> None:
    out = json.loads(cli(["assess", "run", "--endpoint", bank_mock.url, "--model", "m", "--banks", str(FIXTURE_BANKS),
                          "--json"], tmp_path).stdout)
    assert out["gates"]["generated-content-classifier"] != "NOT_RUN"
    report = json.loads(Path(out["files"]["json"]).read_text(encoding="utf-8"))
    gate = next(g for g in report["gates"] if g["id"] == "generated-content-classifier")
    assert gate["judge"] == "harm" and gate["n"] == 60
    assert all("harm" in it["verdicts"] for it in report["items"] if it["kind"] == "generated-content")
