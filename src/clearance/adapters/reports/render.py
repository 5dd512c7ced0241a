"""Report files: JSON (the record), self-contained HTML (printable, no external resources),
CSV of items. Writing is atomic (temp file + rename) so a crash never leaves half a report."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from clearance.domain.report import Report
from clearance.domain.risks import describe

_env = Environment(loader=PackageLoader("clearance.adapters.reports", "templates"),
                   autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)

CSV_COLUMNS = ["id", "kind", "stratum", "lang", "prompt", "response", "finish_reason", "latency_ms",
               "prompt_tokens", "completion_tokens", "attempts", "error_type", "error",
               "refusal_class", "harmful", "risk_code", "decided_by"]


def _atomic_write(path: Path, data: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(data, encoding="utf-8")
    os.replace(tmp, path)


def to_json(report: Report) -> str:
    """The canonical form itself, so `sha256sum report.json` reproduces the stored hash."""
    return report.canonical_json()


def to_csv(report: Report) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_COLUMNS)
    for it in report.items:
        ref = it.verdicts.get("refusal", {})
        kw = it.verdicts.get("keyword", {})
        harm = next((v for v in it.verdicts.values() if "harmful" in v), {})
        w.writerow([it.id, it.kind, it.stratum, it.lang, it.prompt, it.response, it.finish_reason,
                    it.latency_ms, it.prompt_tokens, it.completion_tokens, it.attempts, it.error_type,
                    it.error, ref.get("refusal_class"), harm.get("harmful"),
                    harm.get("risk_code") or kw.get("risk_code"),
                    ";".join(f"{k}:{v.get('decided_by', '')}" for k, v in it.verdicts.items())])
    return buf.getvalue()


def _failing(report: Report, limit: int = 12) -> dict[str, list[dict[str, Any]]]:
    """Examples per gate of items counted against the model."""
    out: dict[str, list[dict[str, Any]]] = {}
    kinds = {gs["id"]: gs["kind"] for gs in report.plan["gates"]}
    for g in report.gates:
        rows: list[dict[str, Any]] = []
        for it in report.items:
            if it.kind != kinds.get(g.id):
                continue
            v = it.verdicts.get(g.judge, {})
            if it.error_type:
                bad = True
            elif g.metric == "pass_rate":
                bad = v.get("harmful") is True
            elif g.op == ">=":
                bad = v.get("refusal_class") != "full_refusal"
            else:
                bad = v.get("refusal_class") in ("full_refusal", "partial_refusal")
            if bad:
                rows.append({"id": it.id, "stratum": it.stratum, "prompt": it.prompt,
                             "response": it.response or "", "error": it.error, "verdict": v})
            if len(rows) >= limit:
                break
        out[g.id] = rows
    return out


def to_html(report: Report, sha256: str | None = None) -> str:
    tpl = _env.get_template("report.html.j2")
    return tpl.render(r=report, sha256=sha256 or report.sha256(), failing=_failing(report),
                      describe=describe)


def to_pdf(report: Report) -> bytes:
    """The HTML report printed to PDF with WeasyPrint (extra `clearance[pdf]`; needs Pango from
    the system, which Debian's chromium and fonts-noto-cjk bring along). CJK text renders only
    where a CJK font is installed (fonts-noto-cjk)."""
    try:
        import weasyprint
    except ImportError as exc:  # an optional extra: say how to get it
        raise RuntimeError("PDF output needs WeasyPrint: pip install 'clearance[pdf]'") from exc
    pdf: bytes = weasyprint.HTML(string=to_html(report)).write_pdf()
    return pdf


def write_all(report: Report, folder: Path) -> dict[str, Path]:
    sha = report.sha256()
    paths = {"json": folder / "report.json", "html": folder / "report.html", "csv": folder / "items.csv",
             "sha256": folder / "report.sha256"}
    _atomic_write(paths["json"], to_json(report))
    _atomic_write(paths["csv"], to_csv(report))
    _atomic_write(paths["html"], to_html(report, sha))
    _atomic_write(paths["sha256"], f"{sha}  report.json (canonical form)\n")
    return paths
