"""`clearance judge [FILE|-]`: judge JSONL pairs from elsewhere and stream verdicts as JSONL."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from clearance.interfaces.cli.common import err_console, fail


def judge(
    source: Annotated[str, typer.Argument(help="JSONL file of {id, prompt, response, lang?}; - for stdin")] = "-",
    judge_names: Annotated[list[str] | None, typer.Option("--judge", help="refusal, keyword, harm, model (repeatable); default refusal + keyword + harm (all local)")] = None,
    banks: Annotated[Path | None, typer.Option(help="Bank folder whose keywords/ the keyword judge uses")] = None,
    model_endpoint: Annotated[str | None, typer.Option(help="model judge: base URL of an OpenAI-compatible API")] = None,
    model_name: Annotated[str | None, typer.Option(help="model judge: model name")] = None,
    model_api_key_env: Annotated[str | None, typer.Option(help="model judge: env var holding the API key")] = None,
    concurrency: Annotated[int, typer.Option(min=1, max=1024)] = 16,
    verbose: Annotated[bool, typer.Option(help="Include every judge's full verdict")] = False,
) -> None:
    """Judge (prompt, response) pairs: one JSONL line out per line in, in input order.
    Nothing leaves the machine unless --judge model is given."""
    from clearance.adapters.bankfiles import load_keywords, starter_banks_dir
    from clearance.domain.banks import BankValidationError
    from clearance.domain.plan import JudgeConfig
    from clearance.services import judging
    from clearance.services.judge_stream import judge_stream

    names = judge_names or ["refusal", "keyword", "harm"]
    configs = []
    for n in names:
        if n == "model":
            if not (model_endpoint and model_name):
                fail("--judge model needs --model-endpoint URL and --model-name NAME")
            args: dict[str, Any] = {"base_url": model_endpoint, "model": model_name}
            if model_api_key_env:
                args["api_key_env"] = model_api_key_env
            configs.append(JudgeConfig(name="model", args=args))
        else:
            configs.append(JudgeConfig(name=n))
    keywords = None
    if "keyword" in names:
        folder = (banks or starter_banks_dir()) / "keywords"
        try:
            keywords = load_keywords(folder)
        except BankValidationError as exc:
            fail(f"keyword library at {folder}: {exc}")
    try:
        js = judging.build(configs, judging.JudgeContext(keywords=keywords))
    except (ValueError, judging.UnknownJudge) as exc:
        fail(str(exc))
    if source == "-":
        stream = sys.stdin
    else:
        path = Path(source)
        if not path.is_file():
            fail(f"{source}: no such file (pass - to read standard input)")
        stream = path.open(encoding="utf-8")

    def emit(row: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        sys.stdout.flush()

    stats = asyncio.run(judge_stream(stream, js, emit, concurrency=concurrency, verbose=verbose))
    err_console.print(f"judged {stats.judged} of {stats.lines} lines, {stats.errors} error(s)")
    if stats.errors:
        raise typer.Exit(1)
