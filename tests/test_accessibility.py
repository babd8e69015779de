"""Every page type passes axe-core at WCAG 2.1 A and AA, on a phone and a desktop, in headless Chromium.

axe-core is pinned in package.json / package-lock.json (`npm ci`, done by `make test` and .ci/run).
The pages are what `make grade` and `diff` really write for a small class: full marks, a failing
submission with plots and printed output, a file that could not be graded, the class report and
a regrade page; and the report `make mutants` writes, for generated mutants classified by hand.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import config
from autograder.checks import all_checks
from autograder.outputs.report import write_atomic
from autograder.tools.mutants import generate, pipeline, report

from harness import CORPORA, REFERENCE, corpus_source
from test_browser import CHROMIUM, PHONE
from test_browser import browser as chromium  # noqa: F401 - a fixture

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DESKTOP = {"width": 1280, "height": 900}
PAGES = ["feedback/alice.html", "feedback/bob.html", "feedback/carol.html", "report.html", "regrade.html",
         "mutants/report.html"]
# A stub that prints a lot: the feedback page's "printed" box then scrolls on its own.
NOISY = '''

_kit_clip_gradients = clip_gradients


def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    for step in range(60):
        print("clipping, step", step, "of a long training loop, on a line too long for a phone")
    return _kit_clip_gradients(gradients, max_norm, clip_type)
'''

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]


def grade(*args):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], capture_output=True, text=True,
                          timeout=600, env=env)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    """A graded class, then bob's fix regraded (only his file changed) and diffed: every page type."""
    base = tmp_path_factory.mktemp("a11y")
    folder = base / "submissions"
    folder.mkdir()
    mutants = CORPORA / "mutants"
    (folder / "alice.py").write_text(REFERENCE.read_text())
    broken = corpus_source(REFERENCE, mutants / "part2_missing_1_over_m.py", mutants / "part6_unbiased_variance.py",
                           mutants / "part5_per_array_clipping.py")
    (folder / "bob.py").write_text(broken + NOISY)
    (folder / "carol.ipynb").write_text("")
    grade("grade", folder, "--out", base / "out", "--jobs", "1")
    (folder / "bob.py").write_text(corpus_source(REFERENCE, mutants / "part2_missing_1_over_m.py") + NOISY)
    grade("grade", folder, "--out", base / "out", "--jobs", "1", "--keep-previous")
    grade("diff", base / "out.previous", base / "out")
    write_atomic(base / "out" / "mutants" / "report.html", report.html(mutation_results()))
    return base / "out"


def mutation_results():
    """What `make mutants` finds for a few generated mutants, classified by hand in turn as killed,
    survived (with the input it differs on), likely equivalent and leaked: no grading."""
    grading = config.load()
    mutants = pipeline.sample(generate.generate(REFERENCE.read_text()), 4, grading.seed)
    first_check = {}
    for check in all_checks():
        first_check.setdefault(check.part, check.name)
    other = {part: next(f"{p}.{name}" for p, name in first_check.items() if p != part) for part in first_check}
    evidence = {"survived": {"input": "X of shape (3, 5), seed 1", "call": "call_method('backward_propagation')",
                             "expected": "{'dW1': array([[0.25, -0.5]])}", "got": "{'dW1': array([[0.5, -1.0]])}"},
                "equivalent": {"tried": 12}}
    records = {}
    for index, mutant in enumerate(mutants):
        status = ("killed", "survived", "equivalent", "leaked")[index % 4]
        records[mutant.id] = {"status": status, "crashed": False, "evidence": evidence.get(status),
                              "killed_by": [first_check[mutant.part]] if status in ("killed", "leaked") else [],
                              "leaked_to": [other[mutant.part]] if status == "leaked" else []}
    return report.results(mutants, records, grading, generate.fingerprint(mutants), "test")


@pytest.fixture(scope="module")
def browser(chromium):  # noqa: F811 - the imported fixture, by its parameter name
    """test_browser's quiet, offline Chromium (phone-sized), once axe-core is there to inject."""
    if not AXE.exists():
        message = f"axe-core is not installed at {AXE}: run `npm ci` (make test does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return chromium


def audit(browser, path, viewport):
    """axe-core's WCAG 2.1 A/AA violations on the page at that size, as readable lines."""
    page = browser.new_page()
    page.set_viewport_size(viewport)
    try:
        page.goto(path.as_uri(), wait_until="load")
        page.add_script_tag(path=str(AXE))
        found = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
                              " resultTypes: ['violations']})", TAGS)
        return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
                for v in found["violations"]]
    finally:
        page.close()


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_axe_core_finds_no_wcag_21_aa_violation(out, browser, name, viewport):
    assert audit(browser, out / name, viewport) == []


def test_the_audit_finds_violations_when_there_are_some(out, browser, tmp_path):
    """The audit itself works: the failing page, stripped of its accessible names, fails it."""
    html = (out / "feedback" / "bob.html").read_text()
    broken = html.replace(' alt="', ' data-alt="').replace('aria-label="What your code printed"', "")
    broken = broken.replace('tabindex="0"', "").replace('<html lang="en">', "<html>")
    (tmp_path / "broken.html").write_text(broken)
    found = " ".join(audit(browser, tmp_path / "broken.html", PHONE))
    for rule in ("image-alt", "html-has-lang", "scrollable-region-focusable"):
        assert rule in found


def test_every_plot_has_its_values_in_a_table_and_every_result_says_it_in_words(out, browser):
    page = browser.new_page()   # the context's default viewport: a phone
    page.goto((out / "feedback" / "bob.html").as_uri())
    figures = page.eval_on_selector_all("figure", """figures => figures.map(f => ({
        alt: f.querySelector('img').alt, rows: f.querySelectorAll('details table tbody tr').length}))""")
    assert len(figures) == 2 and all(f["alt"] and f["rows"] >= 1 for f in figures), figures
    statuses = page.eval_on_selector_all("td.status", "cells => cells.map(c => c.innerText)")
    assert statuses and all(any(w in s for w in ("passed", "failed", "not run")) for s in statuses)
    # Keyboard: Tab reaches the printed output's scrolling box.
    reached = []
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.getAttribute('aria-label')"))
    assert "What your code printed" in reached
    page.close()
    page = browser.new_page()
    page.goto((out / "report.html").as_uri())
    histograms = page.eval_on_selector_all("figure", "fs => fs.map(f => f.querySelectorAll('details tr').length)")
    assert histograms and all(rows >= 2 for rows in histograms)   # a header and at least one score
    page.close()
