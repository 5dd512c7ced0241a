from pathlib import Path

from clearance.domain.filings.workflow import mermaid


def test_docs_show_the_current_table() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "workflow.md").read_text(encoding="utf-8")
    assert mermaid() in doc, "regenerate the diagram in docs/workflow.md from workflow.mermaid()"
