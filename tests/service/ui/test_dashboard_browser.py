"""The dashboard end to end in a real headless Chromium (Debian's chromium and chromium-driver, driven by
Selenium; nothing downloads a browser or a driver): log in, import the example FHIR bundle with its preview,
run an assessment and see the landscape, search plans and compare them, open the report, read the audit log
as the admin. A screenshot of each step goes to $NEUROSCAPE_TEST_ARTIFACTS (default tests/artifacts/ui)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("NEUROSCAPE_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("NEUROSCAPE_CHROMEDRIVER", "/usr/bin/chromedriver")
EXAMPLES = Path(__file__).resolve().parents[3] / "src" / "neuroscape" / "examples" / "patients"
ARTIFACTS = Path(os.environ.get("NEUROSCAPE_TEST_ARTIFACTS",
                                Path(__file__).resolve().parents[2] / "artifacts" / "ui"))

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e .[test])")
if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
    pytest.skip(f"no headless browser: {CHROMIUM} or {CHROMEDRIVER} is missing (Debian: apt-get install chromium "
                "chromium-driver; .ci/run installs them as root)", allow_module_level=True)

from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.chrome.service import Service as DriverService  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

pytestmark = pytest.mark.slow  # calibration and a plan search in the service's worker: minutes on 2 cores


@pytest.fixture
def browser(monkeypatch):
    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must not look for (or fetch) a browser
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,1000", "--lang=en-GB", "--disable-extensions"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=DriverService(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


class Steps:
    """The browser, the base URL and the numbered screenshots."""

    def __init__(self, driver, base: str, passwords: dict):
        self.driver, self.base, self.passwords, self.n = driver, base, passwords, 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def open(self, path: str):
        self.driver.get(self.base + path)

    def wait(self, condition, seconds: float = 20):
        try:
            return WebDriverWait(self.driver, seconds, poll_frequency=0.2).until(condition)
        except TimeoutException:
            self.shot("timeout")
            error = self.driver.find_elements(By.ID, "error")
            shown = error[0].text if error else ""
            raise AssertionError(f"timed out after {seconds} s on {self.driver.current_url}; page error: {shown!r}; "
                                 f"browser log: {self.log()}") from None

    def visible(self, element_id: str, seconds: float = 20):
        return self.wait(EC.visibility_of_element_located((By.ID, element_id)), seconds)

    def job_done(self, status_id: str, seconds: float):
        """Wait for the job whose status line is `status_id` to finish; a failed job fails the test at once."""
        def finished(driver):
            error = driver.find_element(By.ID, "error")
            if error.is_displayed():
                return "failed: " + error.text
            return "done" if driver.find_element(By.ID, status_id).text.startswith("done") else False

        outcome = self.wait(finished, seconds)
        if outcome != "done":
            self.shot("job-failed")
            raise AssertionError(f"the {status_id} job {outcome}")

    def shot(self, name: str) -> Path:
        self.n += 1
        path = ARTIFACTS / f"{self.n:02d}-{name}.png"
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(1280, min(max(int(height) + 160, 800), 4000))  # + the window's own frame
        self.driver.save_screenshot(str(path))
        self.driver.set_window_size(1280, 1000)
        return path

    def log(self) -> list[str]:
        return [e["message"] for e in self.driver.get_log("browser")]

    def login(self, username: str):
        self.open("/ui/login")
        self.driver.find_element(By.ID, "username").send_keys(username)
        self.driver.find_element(By.ID, "password").send_keys(self.passwords[username])
        self.driver.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
        self.wait(EC.text_to_be_present_in_element((By.ID, "whoami"), username))


def broken_record(folder: Path) -> Path:
    """Ben's CSV with two mistakes: a unit that is not UCUM and a month 13."""
    text = (EXAMPLES / "ben-records.csv").read_text()
    text = text.replace("tyrosine,45.5,umol/L", "tyrosine,45.5,furlongs").replace("2026-05-14T09:10:00Z,,hva",
                                                                                    "2026-13-14T09:10:00Z,,hva")
    path = folder / "ben-broken.csv"
    path.write_text(text)
    return path


def test_dashboard_end_to_end(live_server, browser, tmp_path):
    base, svc = live_server
    ui = Steps(browser, base, svc.passwords)
    messages: list[str] = []

    # no session: the page's script sends the browser to the login form, which comes back to the page
    ui.open("/ui/patients")
    ui.wait(EC.url_contains("/ui/login?next=%2Fui%2Fpatients"))
    ui.shot("login")
    ui.login("clinician")
    assert browser.current_url == base + "/ui/patients"
    ui.visible("patients-empty")

    # import: a file with mistakes shows every problem and cannot be confirmed
    ui.open("/ui/import")
    browser.find_element(By.ID, "file").send_keys(str(broken_record(tmp_path)))
    browser.find_element(By.ID, "preview").click()
    ui.wait(EC.presence_of_element_located((By.CSS_SELECTOR, "#problems li")), 180)  # the first import loads FHIR
    problems = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#problems li")]
    assert len(problems) == 2, problems
    assert any("unit 'furlongs' is not a UCUM unit" in p for p in problems), problems
    assert any("time '2026-13-14T09:10:00Z' is not an ISO 8601 time" in p for p in problems), problems
    assert not browser.find_element(By.ID, "confirm").is_enabled()
    assert browser.find_element(By.ID, "unreadable").is_displayed()
    ui.shot("import-problems")

    # the preview shows what will be imported and writes nothing until confirmed
    ui.open("/ui/import")
    browser.find_element(By.ID, "file").send_keys(str(EXAMPLES / "anna-fhir.json"))
    browser.find_element(By.ID, "preview").click()
    ui.visible("preview-result", 60)
    summary = browser.find_element(By.ID, "summary").text
    assert "anna" in summary and "female" in summary and "CYP2C19 *2/*2" in summary
    rows = {r.find_element(By.TAG_NAME, "td").text: r.find_elements(By.TAG_NAME, "td")[1].text
            for r in browser.find_elements(By.CSS_SELECTOR, "#observations tbody tr")}
    assert rows["Escitalopram, serum/plasma"] == "3" and rows["Tryptophan, plasma (total)"] == "1"
    assert "escitalopram" in browser.find_element(By.ID, "medications").text
    assert browser.find_element(By.ID, "no-problems").is_displayed()
    confirm = browser.find_element(By.ID, "confirm")
    assert confirm.is_enabled()
    ui.shot("import-preview")
    ui.open("/ui/patients")
    ui.visible("patients-empty")  # the preview wrote nothing
    ui.open("/ui/import")
    browser.find_element(By.ID, "file").send_keys(str(EXAMPLES / "anna-fhir.json"))
    browser.find_element(By.ID, "preview").click()
    ui.wait(EC.element_to_be_clickable((By.ID, "confirm")), 60).click()
    link = ui.visible("imported-patient", 60)
    assert link.text == "anna"
    assert "7 observations added" in browser.find_element(By.ID, "import-done").text  # the bundle's seven
    ui.shot("import-done")
    link.click()

    # the patient page: no landscape until an assessment ran
    ui.wait(EC.url_to_be(base + "/ui/patients/anna"))
    ui.visible("landscape-empty")
    assert "never medical advice" in browser.find_element(By.CSS_SELECTOR, "p.disclaimer").text
    ui.shot("patient")
    browser.find_element(By.CSS_SELECTOR, "#assess-form button").click()
    ui.visible("assess-progress")
    ui.job_done("assess-status", 600)
    ui.wait(EC.presence_of_element_located((By.CSS_SELECTOR, "#landscape[data-ready=true] svg.main-svg")), 30)
    assert browser.find_elements(By.CSS_SELECTOR, "#landscape .scatterlayer .point"), "the landscape has no points"
    assert browser.find_element(By.CSS_SELECTOR, "#assess-progress").get_attribute("value") == "1"
    ui.shot("landscape")

    # a plan search with small settings, its progress, then the ranked plans side by side
    Select(browser.find_element(By.ID, "targets")).select_by_value("ssri-efficacy")
    drugs = browser.find_element(By.ID, "drugs")
    drugs.send_keys("escitalopram,sertraline")
    assert browser.find_element(By.ID, "horizon").get_attribute("value") == "28"  # the profile settles for 14 days
    draws = browser.find_element(By.ID, "draws")
    draws.clear()
    draws.send_keys("8")
    browser.find_element(By.CSS_SELECTOR, "#plan-form button").click()
    ui.visible("plan-progress")
    ui.job_done("plan-status", 900)
    compare = ui.wait(EC.element_to_be_clickable((By.CSS_SELECTOR, "#plan-status a.plan-link")))
    ui.shot("plan-done")
    compare.click()
    ui.wait(EC.presence_of_element_located((By.CSS_SELECTOR, "#compare thead th")))
    heads = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#compare thead th")]
    assert heads[0] == "Plan" and heads[1].startswith("#1 ") and heads[2].startswith("#2 "), heads
    browser.find_element(By.ID, "show-1").click()  # leave out plan 1: the columns follow the choice
    ui.wait(lambda d: d.find_element(By.CSS_SELECTOR, "#compare thead th:nth-child(2)").text.startswith("#2 "))
    browser.find_element(By.ID, "show-1").click()
    ui.wait(lambda d: d.find_element(By.CSS_SELECTOR, "#compare thead th:nth-child(2)").text.startswith("#1 "))
    table = browser.find_element(By.ID, "compare").text
    for row in ("Joint PTA (95% CI)", "CVaR", "Pills per day", "Changes", "Interventions"):
        assert row in table, row
    assert "never medical advice" in browser.find_element(By.CSS_SELECTOR, "p.disclaimer").text
    ui.wait(EC.presence_of_element_located((By.CSS_SELECTOR, "#trajectories[data-ready=true]")), 60)
    drawn = browser.find_elements(By.CSS_SELECTOR, "#trajectories .js-plotly-plot")  # from the plans' JSON
    pictured = browser.find_elements(By.CSS_SELECTOR, "#trajectories img.report-figure")  # else the report's
    assert (len(drawn) >= 1 and not pictured) or (len(pictured) == 1 and not drawn), (len(drawn), len(pictured))
    ui.shot("compare")

    # the report
    browser.find_element(By.ID, "report-link").click()
    ui.wait(EC.url_contains("/report"))
    assert "simulated scenario" in browser.find_element(By.TAG_NAME, "body").text
    ui.shot("report")
    messages += ui.log()

    # the admin reads the audit log
    ui.open("/ui/patients")
    browser.find_element(By.ID, "logout").click()
    ui.wait(EC.url_contains("/ui/login"))
    ui.login("admin")
    ui.open("/ui/audit")
    ui.wait(EC.presence_of_element_located((By.CSS_SELECTOR, "#audit tbody tr")))
    audit = browser.find_element(By.ID, "audit").text
    assert "clinician" in audit and "anna" in audit
    ui.shot("audit")
    messages += ui.log()

    # nothing the strict Content-Security-Policy blocked, and no script error on any page
    bad = [m for m in messages if "Content Security Policy" in m or "Uncaught" in m]
    assert not bad, bad
