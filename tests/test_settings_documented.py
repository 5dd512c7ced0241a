from pathlib import Path

from clearance.settings import Settings


def test_every_setting_is_documented() -> None:
    doc = (Path(__file__).parents[1] / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [f"CLEARANCE_{name.upper()}" for name in Settings.model_fields if f"CLEARANCE_{name.upper()}" not in doc]
    assert missing == [], f"document these settings in docs/configuration.md: {missing}"
