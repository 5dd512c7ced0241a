"""The filing journey in a real browser (Playwright driving Debian's Chromium), in Chinese and
in English: a provider files a model and submits; a provincial reviewer requests a supplement;
the provider amends and resubmits; the reviewer forwards it; an assessor runs the assessment
against the mock endpoint, labels the manual sample and signs; a central reviewer approves; the
number appears. Screenshots of every step go to $CLEARANCE_SCREENSHOTS/filing-journey/<lang>/
(default artifacts/screenshots/)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from clearance.adapters.db.engine import engine_for
from clearance.services import accounts
from tests.filings.conftest import ADMIN, BEIJING, FILING_FORM, MATERIAL_FILES, ORG_BEIJING
from tests.servers import clearance_env, free_port, wait_until_up

pytestmark = pytest.mark.slow
sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = Path(os.environ.get("CLEARANCE_SCREENSHOTS", Path(__file__).parents[2] / "artifacts" / "screenshots"))
PASSWORD = "journey passphrase 2026"
ACCOUNTS = {"provider": "provider@yunque.cn", "reviewer": "reviewer@bj.gov.cn", "assessor": "assessor@tc260.cn",
            "central": "central@cac.gov.cn"}


@dataclass
class Served:
    base: str
    mock: str
    files: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("journey-home")
    env = clearance_env(home)
    db = engine_for(f"sqlite:///{home / 'clearance.db'}")
    org = accounts.create_organisation(db, actor=ADMIN, data=ORG_BEIJING)
    accounts.create_user(db, actor=ADMIN, email=ACCOUNTS["provider"], role="provider", password=PASSWORD,
                         organisation=org.id)
    accounts.create_user(db, actor=ADMIN, email=ACCOUNTS["reviewer"], role="provincial_reviewer",
                         password=PASSWORD, province=BEIJING)
    accounts.create_user(db, actor=ADMIN, email=ACCOUNTS["assessor"], role="assessor", password=PASSWORD)
    accounts.create_user(db, actor=ADMIN, email=ACCOUNTS["central"], role="central_reviewer", password=PASSWORD)
    db.dispose()
    files = home / "upload"
    files.mkdir()
    for _mtype, (name, content) in MATERIAL_FILES.items():
        (files / name).write_bytes(content)
    mock_port, web_port = free_port(), free_port()
    procs = [subprocess.Popen([sys.executable, "-m", "clearance", "mock-endpoint", "--port", str(mock_port),
                               "--mode", "bank"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
             subprocess.Popen([sys.executable, "-m", "clearance", "serve", "--port", str(web_port)], env=env)]
    try:
        wait_until_up(f"http://127.0.0.1:{mock_port}/_mock/stats", proc=procs[0])
        wait_until_up(f"http://127.0.0.1:{web_port}/healthz", proc=procs[1])
        yield Served(f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{mock_port}/v1", files)
    finally:
        for p in procs:
            p.terminate()
            p.wait(15)


class Journey:
    def __init__(self, browser: object, served: Served, lang: str) -> None:
        self.browser, self.served, self.lang = browser, served, lang
        self.shots = SHOTS / "filing-journey" / lang
        self.shots.mkdir(parents=True, exist_ok=True)
        self.step = 0

    def as_user(self, who: str) -> object:
        ctx = self.browser.new_context(locale="zh-CN" if self.lang == "zh" else "en-GB",  # type: ignore[attr-defined]
                                       viewport={"width": 1280, "height": 1000})
        page = ctx.new_page()
        page.goto(f"{self.served.base}/login")
        page.fill("input[name=email]", ACCOUNTS[who])
        page.fill("input[name=password]", PASSWORD)
        page.locator("form[action='/login'] button[type=submit]").click()
        page.wait_for_url("**/filings")
        return page

    def shot(self, page: object, name: str) -> None:
        self.step += 1
        page.screenshot(path=self.shots / f"{self.step:02d}-{name}.png", full_page=True)  # type: ignore[attr-defined]


def _fill_form(page: object, model_name: str, mock: str) -> None:
    f = FILING_FORM
    page.fill("input[name=model_name]", model_name)  # type: ignore[attr-defined]
    for name in ("contact_name", "contact_phone", "corpus_size_gb", "corpus_tokens", "foreign_open_source_share",
                 "annotation_count", "annotators", "accuracy_check_ratio", "inference_compute", "concurrency",
                 "third_party_cloud"):
        page.fill(f"input[name={name}]", str(f[name]))  # type: ignore[attr-defined]
    page.fill("textarea[name=annotation_rules_summary]", f["annotation_rules_summary"])  # type: ignore[attr-defined]
    for group in ("functions", "corpus_sources", "service_modes"):
        for value in f[group]:
            page.check(f"input[name={group}][value={value}]")  # type: ignore[attr-defined]
    page.select_option("select[name=domain_scope]", "general")  # type: ignore[attr-defined]
    page.select_option("select[name=built_on_filed_model]", "no")  # type: ignore[attr-defined]
    page.fill("input[name='endpoint.base_url']", mock)  # type: ignore[attr-defined]
    page.fill("input[name='endpoint.model']", "mock-model")  # type: ignore[attr-defined]


def _fire(page: object, event: str, reason: str | None = None) -> None:
    form = page.locator(f"form.action:has(button[data-event={event}])")  # type: ignore[attr-defined]
    if reason is not None:
        form.locator("textarea[name=reason]").fill(reason)
    form.locator(f"button[data-event={event}]").click()
    page.wait_for_load_state()  # type: ignore[attr-defined]


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_model_is_filed_reviewed_assessed_and_approved(served: Served, lang: str) -> None:
    words = {"zh": {"missing": "提交前尚缺", "supplement": "待补正", "approved": "已批准"},
             "en": {"missing": "Still missing before you can submit", "supplement": "Supplement requested",
                    "approved": "Approved"}}[lang]
    model_name = f"云雀 Chat {lang.upper()}"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-background-networking", "--disable-component-update"])
        j = Journey(browser, served, lang)

        # 1. the provider drafts, fills the form (autosaved), uploads the six materials, submits
        provider = j.as_user("provider")
        j.shot(provider, "provider-filings")
        provider.locator("#new-filing button[type=submit]").click()
        provider.wait_for_url("**/filings/fil_*")
        filing_url = provider.url.split("?")[0].split("#")[0]
        assert words["missing"] in provider.content()
        _fill_form(provider, model_name, served.mock)
        provider.locator("#filing-form button[type=submit]").click()
        provider.wait_for_url("**saved=1")
        for mtype, (name, _content) in MATERIAL_FILES.items():
            row = provider.locator(f"#material-{mtype}")
            row.locator("input[type=file]").set_input_files(str(served.files / name))
            row.locator("button[type=submit]").click()
            provider.wait_for_load_state()
        assert words["missing"] not in provider.content()
        j.shot(provider, "provider-complete")
        _fire(provider, "submit")
        j.shot(provider, "provider-submitted")

        # 2. the provincial reviewer opens it and asks for a supplement, with a reason
        reviewer = j.as_user("reviewer")
        reviewer.goto(filing_url)
        _fire(reviewer, "start_provincial_review")
        _fire(reviewer, "request_supplement", "请补充境外开源语料的来源清单 / list the foreign corpora")
        assert words["supplement"] in reviewer.content()
        j.shot(reviewer, "reviewer-supplement")

        # 3. the provider sees the reason, amends the form and resubmits
        provider.goto(filing_url)
        assert "请补充境外开源语料的来源清单" in provider.content()
        provider.fill("input[name=foreign_open_source_share]", "0.15")
        provider.locator("#filing-form button[type=submit]").click()
        provider.wait_for_url("**saved=1")
        _fire(provider, "resubmit")
        j.shot(provider, "provider-resubmitted")

        # 4. the reviewer forwards it to the technical assessment
        reviewer.goto(filing_url)
        _fire(reviewer, "start_provincial_review")
        _fire(reviewer, "forward")
        j.shot(reviewer, "reviewer-forwarded")

        # 5-7. the assessment (see _assess), then the central decision
        _assess(j, filing_url)
        central = j.as_user("central")
        central.goto(filing_url)
        central.locator("#review-link").click()
        central.wait_for_url("**/review")
        j.shot(central, "central-review-report-and-materials")
        central.goto(filing_url)
        _fire(central, "approve")
        number = central.locator("#filing-number").inner_text()
        assert number.startswith("Beijing-") and words["approved"] in central.content()
        j.shot(central, "central-approved")
        provider.goto(filing_url)
        assert number in provider.content()
        j.shot(provider, "provider-sees-number")

        # 8. the central reviewer publishes it in a batch; the public registry lists the number
        central.goto(f"{served.base}/review/batches")
        central.fill("#compose input[name=title]", f"2026 batch {lang}")
        central.check(f"#pick-{filing_url.rsplit('/', 1)[-1]}")
        central.locator("#compose button[type=submit]").click()
        central.wait_for_load_state()
        central.locator("form button[data-batch]").first.click()
        central.wait_for_load_state()
        assert central.locator("#published").count() == 1
        j.shot(central, "central-batch-published")
        public = browser.new_page(locale="zh-CN" if lang == "zh" else "en-GB")
        public.goto(f"{served.base}/registry?q={number}")
        assert model_name in public.content()
        j.shot(public, "public-registry")
        browser.close()


def _assess(j: Journey, filing_url: str) -> None:
    """The assessor schedules the quick plan against the mock endpoint, watches it finish, labels
    the manual sample with the keyboard (agreeing, and overriding one item), signs, completes."""
    a = j.as_user("assessor")
    a.goto(filing_url)
    a.select_option("#schedule-form select[name=plan]", "quick")  # type: ignore[attr-defined]
    a.locator("#schedule-form button[type=submit]").click()  # type: ignore[attr-defined]
    a.wait_for_load_state()  # type: ignore[attr-defined]
    a.goto(filing_url + "/assessment")  # type: ignore[attr-defined]
    # the page follows the run by polling its JSON twin (no reload); the CSP forbids eval, so
    # waits use Playwright's locators rather than wait_for_function
    sync_api.expect(a.locator("#progress")).to_have_attribute("data-status", "completed", timeout=120_000)  # type: ignore[attr-defined]
    a.goto(filing_url + "/assessment")  # type: ignore[attr-defined]
    j.shot(a, "assessor-run-completed")
    a.locator("#label-link").first.click()  # type: ignore[attr-defined]
    a.wait_for_url("**/assessment/label**")  # type: ignore[attr-defined]
    j.shot(a, "assessor-labelling")
    overridden = False
    for _ in range(500):
        if a.locator("#all-labelled").count():  # type: ignore[attr-defined]
            break
        before = a.locator("#item-id").inner_text()  # type: ignore[attr-defined]
        if not overridden or a.locator("#agree-button[disabled]").count():  # type: ignore[attr-defined]
            a.keyboard.press("r" if not overridden else "c")  # type: ignore[attr-defined]
            if not a.locator('input[name="harmful"]:checked').count():  # type: ignore[attr-defined]
                # the judges disagree on harm: the assessor decides (H toggles yes, then no)
                a.keyboard.press("h")  # type: ignore[attr-defined]
                a.keyboard.press("h")  # type: ignore[attr-defined]
            a.keyboard.press("o")  # type: ignore[attr-defined]
            overridden = True
        else:
            a.keyboard.press("a")  # type: ignore[attr-defined]
        moved_on = a.locator("#all-labelled").or_(a.locator("#item-id", has_not_text=before))  # type: ignore[attr-defined]
        moved_on.first.wait_for()
    assert a.locator("#all-labelled").count()  # type: ignore[attr-defined]
    j.shot(a, "assessor-sample-labelled")
    a.goto(filing_url + "/assessment")  # type: ignore[attr-defined]
    a.locator("#sign-form button[type=submit]").click()  # type: ignore[attr-defined]
    a.wait_for_load_state()  # type: ignore[attr-defined]
    a.goto(filing_url)  # type: ignore[attr-defined]
    _fire(a, "complete_assessment")
    j.shot(a, "assessor-completed")
