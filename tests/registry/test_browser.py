"""Browser test (Playwright driving Debian's Chromium): a member of the public searches, filters
by province, opens an entry and downloads the CSV, in Chinese and in English. Screenshots of
every step go to $CLEARANCE_SCREENSHOTS (default artifacts/screenshots/registry)."""

from __future__ import annotations

import csv
import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.registry.conftest import served_sample

pytestmark = pytest.mark.slow
sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = Path(os.environ.get("CLEARANCE_SCREENSHOTS", Path(__file__).parents[2] / "artifacts" / "screenshots")) / "registry"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served_sample(tmp_path_factory.mktemp("home")) as (base, _env):
        yield base


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed")
@pytest.mark.parametrize(("lang", "search", "province", "entry", "words"), [
    ("zh", "搜索", "北京", "文心一言", ("公示名单", "已公示")),
    ("en", "Search", "Beijing", "文心一言", ("Registry", "published")),
])
def test_public_searches_filters_opens_and_downloads(server: str, lang: str, search: str, province: str,
                                                     entry: str, words: tuple[str, str]) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(locale="zh-CN" if lang == "zh" else "en-GB", accept_downloads=True,
                                viewport={"width": 1200, "height": 900})
        page.goto(f"{server}/registry")
        assert words[0] in page.content()
        page.screenshot(path=SHOTS / f"{lang}-1-list.png")
        page.fill("#q", "wenxin")                      # pinyin finds 文心一言
        page.get_by_role("button", name=search).click()
        page.wait_for_url("**q=wenxin**")
        assert entry in page.content()
        page.screenshot(path=SHOTS / f"{lang}-2-search.png")
        page.goto(f"{server}/registry")
        page.locator("#facet-province").get_by_role("link", name=province, exact=True).click()
        page.wait_for_url("**province=beijing**")
        page.screenshot(path=SHOTS / f"{lang}-3-province.png")
        rows = page.locator("tbody tr")
        assert rows.count() == 14
        page.goto(f"{server}/registry?province=beijing&limit=500")
        page.get_by_role("link", name=entry).click()
        page.wait_for_url("**/registry/entries/**")
        assert "Beijing-WenXinYiYan-20230821" in page.content() and words[1] in page.content()
        page.screenshot(path=SHOTS / f"{lang}-4-entry.png")
        page.goto(f"{server}/registry?province=beijing")
        with page.expect_download() as dl:
            page.get_by_role("link", name="CSV", exact=True).click()
        path = dl.value.path()
        rows_csv = list(csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8-sig"))))
        assert len(rows_csv) == 14 and {r["province"] for r in rows_csv} == {"beijing"}
        browser.close()
