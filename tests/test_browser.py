"""The pages in a real browser: headless Chromium renders what `make grade` wrote."""
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import config

from harness import REFERENCE

CHROMIUM = Path("/usr/bin/chromium")
# A quiet, offline browser: nothing to fetch, nothing to sync, a fresh profile per run.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """OUT of `python -m autograder grade` on one submission (the reference solution)."""
    base = tmp_path_factory.mktemp("browser")
    submission = base / "submissions" / "alice.py"
    submission.parent.mkdir()
    submission.write_text(REFERENCE.read_text())
    out = base / "out"
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(submission), "--out", str(out),
                           "--jobs", "1"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS, headless=True, viewport=PHONE)
        yield context
        context.close()


def open_page(browser, path):
    """The page at `path`, fully loaded, with every URL it requested."""
    page = browser.new_page()
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(path.as_uri(), wait_until="load")
    return page, requested


def image_widths(page):
    return page.eval_on_selector_all("img", "images => images.map(image => image.naturalWidth)")


def test_the_feedback_page_shows_every_part_and_a_plot_on_a_phone_screen(graded, browser):
    page, requested = open_page(browser, graded / "feedback" / "alice.html")
    page.screenshot(path=str(graded / "feedback-alice.png"), full_page=True)
    text = page.inner_text("body")
    for part in config.load().parts.values():
        assert part.title in text
    top = config.load().max_score
    assert f"Total: {top:g} / {top:g}" in text  # the reference solution
    assert any(width > 0 for width in image_widths(page)), "no plot was rendered"
    # Readable on a phone: nothing wider than the screen, so no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # Self-contained: the browser fetched nothing but the file itself (images are data URIs).
    assert all(url.startswith(("file:", "data:")) for url in requested), requested
    page.close()


def test_the_class_report_draws_a_histogram_per_part(graded, browser):
    page, requested = open_page(browser, graded / "report.html")
    page.screenshot(path=str(graded / "report.png"), full_page=True)
    widths = page.eval_on_selector_all('img[alt^="Histogram of"]', "images => images.map(i => i.naturalWidth)")
    assert len(widths) == len(config.load().parts) + 1  # one per part and one for the total
    assert all(width > 0 for width in widths)
    assert page.locator('a[href="feedback/alice.html"]').count() >= 1
    # On a phone the page itself never scrolls sideways: a wide table scrolls within its own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert all(url.startswith(("file:", "data:")) for url in requested), requested
    page.close()
