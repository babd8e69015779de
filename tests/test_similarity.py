"""The similarity report: which pairs a TA should look at, on what students wrote.

The class is built from the corpora (kept as data): four students who each
wrote other correct variants of the four stubs, one more with its own batch
norm, the reference solution, every mutant, the example notebooks, two
untouched releases, and the disguised copies of tests/corpora/copies/ (their
headers say whom they copy, which stubs, and which lines a copier added).
Everything goes through the real load -> restore -> extract steps; no student
code runs, so these tests are fast, except the one that opens the page in
Chromium.
"""
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.outputs import class_report
from autograder import cli, config
from autograder.pipeline import load, release
from autograder.pipeline.grader import Grader
from autograder.pipeline.prepare import grader_hash, prepare as prepare_one
from autograder.tools import similarity
from autograder.tools.similarity import fingerprint, rank
from autograder.tools.similarity.page import MARKER

from harness import CORPORA, REFERENCE
from test_pages import make_record

REPO = Path(__file__).resolve().parent.parent
COPIES = sorted((CORPORA / "copies").glob("*.py"))
# Each student wrote a different correct variant of every stub: no two share any code of their own.
MIXES = {
    "mix0": ("p2_einsum", "p5_lab_seed", "p6_loops", "p9_network_norms"),
    "mix1": ("p2_from_activations", "p5_loop_stats", "p6_onepass", "p9_sets"),
    "mix2": ("p2_lab_seed", "p5_tf_style", "p6_std", "p9_sorted_keys"),
    "mix3": ("p2_loops", "p5_torch_eps", "p6_tfstyle", "p9_vectorised"),
    "solo": ("p6_welford",),
}
INDEPENDENT = [*MIXES, "reference"]
STUBS = ("backward_propagation", "clip_gradients", "batch_normalize", "diagnose_gradient_health")


def header(path):
    """{"copy of", "stubs", "disguise"} from a copy's leading comments."""
    return dict(re.findall(r"^# (copy of|stubs|disguise): (.+)$", path.read_text(), re.MULTILINE))


def copy_id(path):
    return f"copy_{path.stem}"


def write_class(folder):
    """The class as files a TA would grade: .py students on top of the reference, and notebooks."""
    folder.mkdir(parents=True)
    reference = REFERENCE.read_text()
    (folder / "reference.py").write_text(reference)
    for sid, variants in MIXES.items():
        own = "".join("\n\n" + (CORPORA / "correct" / f"variant_{v}.py").read_text() for v in variants)
        (folder / f"{sid}.py").write_text(reference + own)
    for path in sorted((CORPORA / "mutants").glob("*.py")):
        (folder / f"mutant_{path.stem}.py").write_text(reference + "\n\n" + path.read_text())
    for path in COPIES:
        (folder / f"{copy_id(path)}.py").write_text(reference + "\n\n" + path.read_text())
    for path in sorted((REPO / "examples" / "submissions").glob("*.ipynb")):
        shutil.copy(path, folder / f"example_{path.name}")
    grading = config.load()
    for name in ("untouched_1", "untouched_2"):
        shutil.copy(release.notebook_path(grading), folder / f"{name}.ipynb")
    return folder


def prepare(folder, grading):
    """Steps 1-3 of `make grade` for every file in `folder` (with the kit's Grader; `grading` its settings)."""
    grader = Grader.load(warm=False)
    return [prepare_one(s, grader, "test") for s in load.discover([folder], grading.assignment, grading.notebook)]


@pytest.fixture(scope="module")
def grading():
    return config.load()


@pytest.fixture(scope="module")
def prepared(tmp_path_factory, grading):
    return prepare(write_class(tmp_path_factory.mktemp("similarity") / "class"), grading)


def compared(prepared, grading, reference=True, **settings):
    """rank.compare over the prepared class, with the reference discount or without it."""
    return rank.compare([p.id for p in prepared], [fingerprint.stub_codes(p.statements) for p in prepared],
                        fingerprint.stub_codes(release.kit_statements(grading)),
                        similarity.reference_codes(grading) if reference else None,
                        dataclasses.replace(grading.similarity, **settings))


@pytest.fixture(scope="module")
def comparison(prepared, grading):
    return compared(prepared, grading)


@pytest.fixture(scope="module")
def written(prepared, grading, tmp_path_factory):
    """OUT/similarity.json as the step writes it, read back."""
    out = tmp_path_factory.mktemp("out")
    similarity.write(out, prepared, grading)
    return out, json.loads((out / "similarity.json").read_text())


def score(pairs, a, b, stub):
    return next(p["score"] for p in pairs if {p["a"], p["b"]} == {a, b} and p["stub"] == stub)


def copied_pairs(pairs):
    """(copy, original, stub, score) for each disguised copy and each stub it copied, and "all"."""
    found = []
    for path in COPIES:
        info = header(path)
        stubs = info["stubs"].split()
        for stub in stubs + (["all"] if len(stubs) > 1 else []):
            found.append((copy_id(path), info["copy of"], stub, score(pairs, copy_id(path), info["copy of"], stub)))
    return found


def independent_scores(pairs):
    return [p for p in pairs if p["a"] in INDEPENDENT and p["b"] in INDEPENDENT]


# -- what ranks where ------------------------------------------------------------------------

@pytest.mark.parametrize("reference", [True, False], ids=["with the reference", "in a kit without solutions"])
def test_every_disguised_copy_ranks_above_every_pair_of_independent_correct_variants(prepared, grading, reference):
    pairs = compared(prepared, grading, reference=reference).pairs
    highest = max(independent_scores(pairs), key=lambda p: p["score"])
    lowest = min(copied_pairs(pairs), key=lambda c: c[3])
    assert lowest[3] > highest["score"], (lowest, highest)
    assert len(copied_pairs(pairs)) >= 4 * 5 + 1  # four whole copies (4 stubs and all) and one stub alone


def test_without_the_discounts_convergent_correct_code_would_rank_with_the_copies(prepared, grading):
    # The same class with common and reference code counted in full: students who both wrote the
    # reference's clip_gradients score 1, above copies. This is what the discounts are for.
    pairs = compared(prepared, grading, reference=False, common_weight=1.0, common_share=1.0).pairs
    assert max(p["score"] for p in independent_scores(pairs)) > min(c[3] for c in copied_pairs(pairs))


def test_a_stub_copied_alone_is_flagged_for_that_stub_and_no_other(comparison, grading):
    one = next(p for p in COPIES if len(header(p)["stubs"].split()) == 1)
    stub, original = header(one)["stubs"], header(one)["copy of"]
    threshold = grading.similarity.threshold
    assert score(comparison.pairs, copy_id(one), original, stub) >= threshold
    for other in STUBS:
        if other != stub:
            assert score(comparison.pairs, copy_id(one), original, other) < threshold, other
    data = similarity.as_data(comparison, {i: i for i in comparison.ids})
    listed = data["review"]["sections"][stub]["pairs"]
    assert {copy_id(one), original} in [{p["a"], p["b"]} for p in listed]


def test_the_untouched_release_is_never_similar_to_anything(comparison):
    untouched = [p for p in comparison.pairs if {p["a"], p["b"]} & {"untouched_1", "untouched_2"}]
    assert {p["b"] for p in untouched if p["a"] == "untouched_1"} >= {"untouched_2"}  # compared, even together
    assert len(untouched) > 100
    assert max(p["score"] for p in untouched) == 0.0


def test_the_highlighted_fragments_are_the_copied_lines(comparison):
    dead = CORPORA / "copies" / "dead_code.py"
    original = header(dead)["copy of"]
    index = comparison.ids.index(copy_id(dead))
    for stub in STUBS:
        lines = comparison.codes[index][stub].source.splitlines()
        marked = {line for line, _, _ in comparison.fragments(copy_id(dead), original, stub)}
        added = {n for n, text in enumerate(lines) if text.endswith("# not copied")}
        copied = {n for n, text in enumerate(lines) if text.strip() and n not in added and n > 0}
        assert marked, stub
        assert not marked & added, [lines[n] for n in marked & added]
        assert len(marked & copied) >= 0.7 * len(copied), (stub, [lines[n] for n in copied - marked])


def test_a_copy_of_one_stub_is_highlighted_in_that_stub_only(written):
    _, data = written
    one = next(p for p in COPIES if len(header(p)["stubs"].split()) == 1)
    pair = next(p for p in data["review"]["sections"]["all"]["pairs"] + data["review"]["sections"]
                [header(one)["stubs"]]["pairs"] if copy_id(one) in (p["a"], p["b"]))
    assert list(pair["fragments"]) == [header(one)["stubs"]]


# -- the file --------------------------------------------------------------------------------

def test_similarity_json_lists_every_compared_pair_highest_first(written, prepared):
    _, data = written
    pairs = data["pairs"]
    assert [p["score"] for p in pairs] == sorted((p["score"] for p in pairs), reverse=True)
    defining = [p.id for p in prepared if fingerprint.stub_codes(p.statements)]
    n = len(defining)
    assert sum(1 for p in pairs if p["stub"] == "all") == n * (n - 1) // 2
    assert all(set(p) >= {"a", "b", "stub", "score"} and 0 <= p["score"] <= 1 and p["a"] < p["b"] for p in pairs)
    assert data["reference_discounted"] is True


def test_the_same_class_gives_the_same_file_in_another_process(written, tmp_path):
    # Python's hash() of a string changes from process to process; the fingerprints must not.
    out, _ = written
    script = (f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
              "from pathlib import Path\n"
              "from autograder import config\nfrom autograder.tools import similarity\n"
              "import test_similarity as t\n"
              f"g = config.load(); p = t.prepare(t.write_class(Path({str(tmp_path)!r}) / 'class'), g)\n"
              f"similarity.write(Path({str(tmp_path)!r}), p, g)\n")
    done = subprocess.run([sys.executable, "-c", script], env={**os.environ, "PYTHONHASHSEED": "12345"},
                          capture_output=True, text=True, timeout=300, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "similarity.json").read_bytes() == (out / "similarity.json").read_bytes()


# -- fingerprints ----------------------------------------------------------------------------

def test_names_strings_comments_and_whitespace_do_not_change_the_tokens():
    one = "def f(a, b=2):\n    # sum\n    total = a + b  # here\n    return total * 'x'\n"
    other = 'def g(p,   q=2):\n    s = p + q\n\n    return s * "a string"\n'
    assert fingerprint.tokens(one)[0] == fingerprint.tokens(other)[0]
    assert fingerprint.tokens(one)[0] != fingerprint.tokens(one.replace("a + b", "a - b"))[0]
    assert "sum" in fingerprint.tokens("def f(x):\n    return np.sum(x)\n")[0]  # NumPy's names are kept


def test_winnowing_keeps_a_fingerprint_in_every_window():
    import numpy as np

    hashes = np.array([5, 3, 9, 3, 7, 8, 1, 6, 6, 2], dtype=np.uint64)
    kept = fingerprint.winnow(hashes, 4)
    assert kept.tolist() == [3, 6]  # the rightmost minimum of each window, each once
    assert all(any(i <= j < i + 4 for j in kept) for i in range(len(hashes) - 3))


def test_similarity_settings_are_validated_like_the_rest(tmp_path):
    base = (REPO / "grading.toml").read_text()
    path = tmp_path / "grading.toml"
    for key, value, message in (("colour", "1", "[similarity] colour = 1: unknown key"),
                                ("threshold", "1.5", "[similarity] threshold = 1.5: must be a number from 0 to 1"),
                                ("k", "2.5", "[similarity] k = 2.5: must be a whole number")):
        text = re.sub(rf"^{key} = .*$", f"{key} = {value}", base, flags=re.MULTILINE)
        if text == base:
            text = re.sub(r"^(\[similarity\].*)$", rf"\1\n{key} = {value}", base, flags=re.MULTILINE)
        path.write_text(text)
        with pytest.raises(config.ConfigError, match=re.escape(message)):
            config.load(path)
    path.write_text(base)
    assert config.load(path).similarity == config.Similarity()  # grading.toml says what the defaults say


# -- make grade and the report -------------------------------------------------------------

def cached_batch(folder, out, grading):
    """OUT as left by an earlier run of these files, so `grade` reuses the results and grades nothing."""
    ghash, grader = grader_hash(config.DEFAULT_PATH), Grader.load(warm=False)
    for item in [prepare_one(s, grader, ghash) for s in load.discover([folder], grading.assignment,
                                                                        grading.notebook)]:
        (out / "state").mkdir(parents=True, exist_ok=True)
        (out / "results").mkdir(exist_ok=True)
        (out / "state" / f"{item.safe_id}.json").write_text(json.dumps({"fingerprint": item.fingerprint}))
        (out / "results" / f"{item.safe_id}.json").write_text(json.dumps(make_record(item.id)))


def test_make_grade_compares_the_class_by_default_and_not_with_no_similarity(tmp_path, grading):
    folder = tmp_path / "class"
    folder.mkdir()
    one = next(p for p in COPIES if len(header(p)["stubs"].split()) == 1)
    for name, source in (("alice", (REPO / "tests" / "corpora" / "correct" / "variant_p6_onepass.py")),
                         ("bob", one), ("carol", CORPORA / "correct" / "variant_p6_tfstyle.py")):
        (folder / f"{name}.py").write_text(REFERENCE.read_text() + "\n\n" + source.read_text())
    out = tmp_path / "out"
    cached_batch(folder, out, grading)
    assert cli.main(["grade", str(folder), "--out", str(out), "--jobs", "1"]) == 0
    data = json.loads((out / "similarity.json").read_text())
    assert data["pairs"][0]["stub"] == "batch_normalize" and {data["pairs"][0]["a"], data["pairs"][0]["b"]} == \
        {"alice", "bob"}
    html = (out / "report.html").read_text()
    assert "Pairs to review" in html and "<mark>" in html and 'href="feedback/alice.html"' in html
    assert cli.main(["grade", str(folder), "--out", str(out), "--jobs", "1", "--no-similarity"]) == 0
    assert not (out / "similarity.json").exists()
    assert "Not computed for this run" in (out / "report.html").read_text()


def test_make_grade_passes_no_similarity_when_SIMILARITY_is_0():
    def command(*extra):
        return subprocess.run(["make", "-n", "-s", "-C", str(REPO), "grade", *extra], capture_output=True,
                              text=True, timeout=60).stdout

    assert "--no-similarity" in command("SIMILARITY=0")
    assert "--no-similarity" not in command()


@pytest.fixture(scope="module")
def report_out(written, tmp_path_factory):
    """report.html of the class (records made by hand: the section needs no grading)."""
    out, data = written
    ids = [sid for sid in data["fingerprints"]]
    class_report.write(out, [make_record(sid) for sid in ids], ids, config.load(),
                       [similarity.report_section(data)])
    return out


def test_the_report_says_similarity_is_no_proof_and_why_each_pair_ranks(report_out):
    html = (report_out / "report.html").read_text()
    section = html[html.index('id="similarity"'):html.index('id="slowest"')]
    assert "reason to look, never proof" in section
    assert "<th scope=\"col\">why it ranks here</th>" in section
    assert re.search(r"\d+ of the \d+ fragments of the smaller code are in both", section)
    assert "<mark>" in section and MARKER in section
    for stub in STUBS:
        assert f'id="similarity-{stub}"' in section
    assert "Group of " in section  # mix1, its reordered copy and the copy of its batch norm


def test_student_code_in_the_section_is_escaped():
    code = {"cell": 1, "line": 1, "source": "def clip_gradients(g):\n    return '</pre><script>x()</script>'\n"}
    pair = {"a": "a<b", "b": "c", "stub": "clip_gradients", "score": 0.9, "shared": 9, "discounted": 0,
            "smaller": 10, "fragments": {"clip_gradients": {"a": [[1, 4, 10]], "b": []}}}
    data = {"settings": dataclasses.asdict(config.Similarity()), "reference_discounted": True,
            "review": {"sections": {"clip_gradients": {"pairs": [pair], "groups": [], "compared": 1}},
                       "code": {"a<b": {"clip_gradients": code}, "c": {"clip_gradients": code}}, "links": {}}}
    html = similarity.section(data)
    assert "<script>" not in html and "a&lt;b" in html
    assert "    <mark>return</mark>" in html


@pytest.mark.slow
def test_the_pairs_to_review_read_well_on_a_phone_and_fetch_nothing(report_out):
    from test_browser import CHROMIUM, CHROMIUM_ARGS, PHONE

    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport=PHONE)
        requested = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto((report_out / "report.html").as_uri(), wait_until="load")
        page.eval_on_selector_all("details", "all => all.forEach(d => d.open = true)")
        page.screenshot(path=str(report_out / "report-phone.png"), full_page=True)
        assert page.locator("#similarity").is_visible()
        assert page.locator(".pairs mark").count() > 0
        # The page never scrolls sideways: each code block scrolls inside its own box.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        boxes = page.eval_on_selector_all(".pairs pre", "all => all.map(p => p.getBoundingClientRect().right)")
        assert boxes and max(boxes) <= PHONE["width"]
        assert all(url.startswith(("file:", "data:")) for url in requested), requested
        browser.close()


def test_a_kit_without_solutions_says_the_reference_was_not_discounted(prepared, grading):
    comparison = compared(prepared, grading, reference=False)
    ids = {i: i for i in comparison.ids}
    html = similarity.section(similarity.as_data(comparison, ids))
    assert "The reference solution was not available" in html
    assert "The reference solution was not available" not in similarity.section(
        similarity.as_data(compared(prepared, grading), ids))
