"""Hostile and broken submissions cost only themselves, and each leaves a note a TA can follow.

The corpus is tests/corpora/hostile/ (its README says how a file declares what
it does and what the grader must make of it); what cannot sensibly be
committed (an empty file, random bytes, a notebook with its stub cell
deleted, a 40 MB notebook of images, student ids with spaces, quotes,
leading dashes and shell metacharacters) is generated here.

Fast tests drive grade() with small stand-in checks; the slow one grades the
whole corpus in one batch with correct submissions, as `make grade` does,
with short time limits so that it stays within a few minutes.
"""
import ast
import base64
import dataclasses
import html
import io
import json
import os
import random
import re
import subprocess
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from autograder import config
from autograder.pipeline import release
from autograder.checks import Check, LoadedPart
from autograder.config import REPO, Grading, Limits, Part
from autograder.outcomes import PARTIAL_SANDBOX, Status
from autograder.parts import BY_ID
from autograder.pipeline.extract import extract
from autograder.pipeline.grader import Grader, Origin
from harness import CORPORA, PAST_THE_HOOK, REFERENCE, site_packages

HOSTILE = CORPORA / "hostile"
HEADER = re.compile(r"^# (hostile|broken|note|expect|status): ?(.*)$")
ESCAPE_NAME = "gradlab-hostile-escape.txt"
PWNED = "PWNED-by-a-student-id"
KIT = extract([{"index": 0, "source": REFERENCE.read_text()}])[0]


# -- the corpus --------------------------------------------------------------------------------------

@dataclasses.dataclass
class Case:
    path: Path
    kind: str           # "hostile" (joined after reference.py) or "broken" (used as it is)
    what: str
    note: str           # the start of the expected note
    expect: dict        # part -> points, "others" -> "full" | "any", or "total" -> points
    status: dict = dataclasses.field(default_factory=dict)  # part (or "all") -> how its checks stop

    @property
    def id(self):
        return self.path.stem


def corpus():
    cases = []
    for path in sorted(HOSTILE.iterdir()):
        if path.suffix not in (".py", ".ipynb"):
            continue
        fields = {}
        text = path.read_text(errors="replace")
        if path.suffix == ".ipynb" and text.startswith("{"):  # JSON has no comments: a "_comment" key
            comment = json.loads(text).get("_comment", "")
            kind, _, rest = comment.partition(": ")
            what, _, note = rest.partition(" note: ")
            fields = {kind: what, "note": note}
        else:
            field = None
            for line in text.splitlines():
                match = HEADER.match(line)
                if match:
                    field = match.group(1)
                elif field and line.startswith("# "):  # a field may go on over several comment lines
                    match = HEADER.match(f"# {field}: {line[2:]}")
                else:
                    break
                fields[field] = (fields.get(field, "") + " " + match.group(2)).strip()
        kind = "hostile" if "hostile" in fields else "broken"
        expect = _expectation(fields.get("expect", "")) or ({"total": 0} if kind == "broken" else {})
        status = _expectation(fields.get("status", "")) or ({"all": "skipped"} if kind == "broken" else {})
        cases.append(Case(path, kind, fields.get(kind, ""), fields.get("note", ""), expect, status))
    return cases


def _expectation(text):
    expect = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        if item == "full":
            continue
        key, _, value = item.partition("=")
        expect[key] = value if value in ("full", "any") or not value[:1].isdigit() else float(value)
    return expect


def submission_source(case):
    text = case.path.read_text()
    return text if case.kind == "broken" else REFERENCE.read_text() + "\n\n" + text


def test_every_corpus_file_says_what_it_does_and_which_note_it_expects():
    cases = corpus()
    assert len([c for c in cases if c.kind == "hostile"]) >= 20
    for case in cases:
        assert case.what and case.note, f"{case.path.name} needs a header: see the corpus README"
        if case.path.suffix == ".py":
            assert case.expect or "expect: full" in case.path.read_text(), case.path.name


# -- grade() with stand-in checks: fast ------------------------------------------------------------------

GRADS = {"dW1": [[3.0, 0.0], [0.0, 4.0]]}


def _clip_check(name, part="part5", clip_type="norm"):
    def check(student, ctx):
        import numpy as np

        from autograder.checks import CheckFailed

        result = student.call("clip_gradients", {"dW1": np.array(GRADS["dW1"])}, 1.0, clip_type)["result"]
        if type(result) is not tuple or type(result[0]) is not dict:
            raise CheckFailed("wrong type")

    return Check(part, name, "clips", False, check)


def _passing_check(name, part):
    return Check(part, name, "passes", False, lambda student, ctx: None)


def stand_in_grading(**limits):
    checks = [_clip_check("first"), _clip_check("second", clip_type="value"), _clip_check("third"),
              _passing_check("other", "part6")]
    parts = {"part5": Part("part5", "Part 5", 3, {"first": 1, "second": 1, "third": 1}),
             "part6": Part("part6", "Part 6", 1, {"other": 1})}
    base = {"call_timeout": 1.0, "load_timeout": 1.5, "output_chars": 100}
    grading = Grading("lab4_3", "lab4_3.ipynb", 1, Limits(**{**base, **limits}), 2, parts)
    return checks, grading


def grade_source(source, probe=None, **limits):
    """Graded: `source` through a Grader of the stand-in checks (and `probe` as part 5's plot probe)."""
    checks, grading = stand_in_grading(**limits)
    statements, problems = extract([{"index": 0, "source": source}])
    assert not problems
    parts = (LoadedPart(BY_ID["part5"], tuple(c for c in checks if c.part == "part5"), {}, probe=probe),
             LoadedPart(BY_ID["part6"], tuple(c for c in checks if c.part == "part6"), {}))
    with Grader(Origin("stand-in grading.toml"), grading, parts, [], KIT, warm=False) as grader:
        return grader.grade(statements)


def stub(body):
    """The reference with clip_gradients replaced by one whose body is `body`."""
    return (REFERENCE.read_text() + "\n\nimport os, sys\n"
            "def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):\n" + body)


def sandbox_notes(graded):
    return [e["message"] for e in graded.errors if e["kind"] == "sandbox"]


def test_a_timeout_costs_its_own_check_and_the_part_goes_on_and_it_is_named_for_the_ta():
    # A loop only in the 'norm' branch: the 'value' check still earns its point.
    graded = grade_source(stub("    while clip_type == 'norm':\n        pass\n"
                               "    return {k: np.clip(g, -1, 1) for k, g in gradients.items()}, {}\n"))
    outcomes = {o.name: o for o in graded.outcomes}
    assert outcomes["first"].status is outcomes["third"].status is Status.TIMED_OUT
    assert outcomes["second"].passed and outcomes["other"].passed
    assert sandbox_notes(graded) == ["Timed out in part5 (`clip_gradients` did not finish within 1 s: "
                                     "an infinite loop?)."]


def test_after_a_timeout_the_part_stops_when_its_time_budget_is_used_up():
    # Two parts share a 2 s submission budget: 1 s each, used up by part5's first timeout.
    graded = grade_source(stub("    while True:\n        pass\n"), submission_timeout=2.0)
    outcomes = {o.name: o for o in graded.outcomes}
    assert outcomes["first"].status is Status.TIMED_OUT
    assert outcomes["second"].status is outcomes["third"].status is Status.NOT_RUN
    assert "time budget" in outcomes["second"].feedback and "first" in outcomes["second"].feedback


def test_a_second_crash_in_a_part_skips_the_rest_of_it_and_the_crash_is_named_once():
    graded = grade_source(stub("    os._exit(3)\n"))
    assert [o.status for o in graded.outcomes] == [Status.CRASHED, Status.CRASHED, Status.NOT_RUN, Status.PASSED]
    assert sandbox_notes(graded) == ["The Python process running your code crashed in part5 (it exited "
                                     "with code 3 (sys.exit or os._exit in your code?))."]


def test_definitions_that_never_finish_loading_cost_one_load_timeout_and_no_plots():
    probed = []
    started = time.monotonic()
    graded = grade_source("class Forever:\n    while True:\n        pass\n",
                          probe=lambda *args: probed.append(args))
    assert {o.status for o in graded.outcomes} == {Status.SKIPPED}
    assert time.monotonic() - started < 6  # one load timeout (1.5 s), not one per check
    assert not probed and not any(o.passed for o in graded.outcomes)
    assert sandbox_notes(graded)[0].startswith("Timed out while loading your definitions")


def test_printing_past_the_limit_is_named_and_the_kept_output_is_capped():
    body = "    print('x' * 10_000)\n    os.write(1, b'y' * 100_000)\n    return dict(gradients), {}\n"
    graded = grade_source(stub(body))
    assert len(graded.output) <= 100
    assert "Printed more than 100 characters; the output was truncated." in sandbox_notes(graded)


def test_grading_a_hostile_submission_twice_gives_the_same_notes():
    body = ("    open('/tmp/" + ESCAPE_NAME + "', 'w')\n")
    first, second = grade_source(stub(body)), grade_source(stub(body))
    assert first.errors == second.errors and sandbox_notes(first)


@pytest.mark.parametrize("source", ["1+" * 100_000 + "1", "x = " + "-" * 100_000 + "1"],
                         ids=["a_long_sum", "a_long_unary_chain"])
def test_python_code_that_breaks_the_parser_gets_a_clear_message_instead_of_stopping_the_batch(
        source, tmp_path):
    from autograder.pipeline import load, prepare

    path = tmp_path / "deep.py"
    path.write_text(source)
    prepared = prepare.prepare(load.Submission("deep", path), Grader.load(warm=False), "hash")
    assert prepared.problems and not prepared.statements


# -- the batch: every hostile and broken submission with correct ones, as `make grade` runs it ----------------

def complete_notebook():
    """The release notebook with the reference's definitions in its stub cells: full marks."""
    grading = config.load()
    notebook = json.loads(release.notebook_path(grading).read_text())
    reference = REFERENCE.read_text()
    definitions = {node.name: ast.get_source_segment(reference, node) for node in ast.parse(reference).body
                   if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    for cell in notebook["cells"]:
        nbgrader = cell.get("metadata", {}).get("nbgrader", {})
        if cell["cell_type"] != "code" or not nbgrader.get("solution"):
            continue
        source = "".join(cell["source"])
        names = [node.name for node in ast.parse(source).body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
        if names and all(name in definitions for name in names):
            cell["source"] = "import numpy as np\n\n" + "\n\n\n".join(definitions[name] for name in names)
    return notebook


def stub_cell(notebook, name):
    return next(i for i, cell in enumerate(notebook["cells"]) if cell["cell_type"] == "code"
                and re.search(rf"^def {name}\(", "".join(cell["source"]), re.MULTILINE))


def with_images(notebook, megabytes):
    """The notebook with `megabytes` of PNG outputs spread over its code cells, as plots leave them."""
    rng = random.Random(0)
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    per_cell = megabytes * 2**20 * 3 // 4 // len(code)
    for cell in code:
        data = base64.b64encode(b"\x89PNG\r\n\x1a\n" + rng.randbytes(per_cell)).decode()
        cell["outputs"] = [{"output_type": "display_data", "metadata": {},
                            "data": {"image/png": data, "text/plain": ["<Figure size 640x480 with 1 Axes>"]}}]
    return notebook


# Broken files made here; each: (file name, contents, expected start of its message, expected scores).
def generated_broken():
    complete = complete_notebook()
    missing_stub = complete_notebook()
    del missing_stub["cells"][stub_cell(missing_stub, "clip_gradients")]
    return [
        ("empty.ipynb", b"", "The file is empty.", {"total": 0}),
        ("random_bytes.ipynb", random.Random(1).randbytes(4096), "The file is not valid JSON", {"total": 0}),
        ("stub_cell_deleted.ipynb", json.dumps(missing_stub).encode(), None, {"part5": 0}),
        ("forty_megabytes_of_images.ipynb", json.dumps(with_images(complete, 40)).encode(), None, {}),
        ("deeply_nested.ipynb", b"[" * 100_000, "The file is not a notebook Jupyter can open", {"total": 0}),
        ("odd_metadata.ipynb", odd_metadata(complete_notebook()), None, {}),
    ]


def odd_metadata(notebook):
    """Valid for Jupyter, odd for a grader: a byte order mark, grade ids that are not strings."""
    for cell in notebook["cells"]:
        nbgrader = cell.get("metadata", {}).get("nbgrader")
        if nbgrader and nbgrader.get("solution"):
            nbgrader["grade_id"] = [nbgrader.get("grade_id")]
    return "\ufeff".encode() + json.dumps(notebook).encode()


# Student ids a shell would misread; graded like anyone else, full marks, files only inside OUT.
ODD_FILE_IDS = ["alice smith", "o'brien \"bob\"", "-rf", f"$(touch {PWNED}-1)",
                f"a;touch {PWNED}-2|b&`touch {PWNED}-3`"]
ODD_NBGRADER_IDS = ["jane doe", "--version", f"x'; touch {PWNED}-4 #"]
CORRECT = ["correct_reference", "correct_variant_p5_loop_stats", "correct_notebook"]


def grading_toml(path):
    """grading.toml with short limits, so that hostile timeouts cost seconds, not minutes."""
    text = (REPO / "grading.toml").read_text()
    for key, value in {"call_timeout": "2.0", "load_timeout": "4.0", "submission_timeout": "60.0",
                       "max_examples": "3"}.items():
        text, count = re.subn(rf"^{key}\s*=.*$", f"{key} = {value}", text, flags=re.MULTILINE)
        assert count == 1, key
    path.write_text(text)
    return path


def escape_targets(out, *folders):
    """Where the corpus tries to write (OUT's own results/write_outside.json is checked apart)."""
    places = [tempfile.gettempdir(), "/var/tmp", "/dev/shm", str(REPO), str(Path.home().parent), *folders]
    names = (ESCAPE_NAME, "results/write_outside.json", "gradlab-dirfd-escape")
    return ([Path(place) / name for place in places for name in names]
            + [Path(folder) / "grades.csv" for folder in folders]
            + [Path(out) / ESCAPE_NAME, Path(out) / "gradlab-dirfd-escape"])


@dataclasses.dataclass
class Batch:
    root: Path
    out: Path
    records: dict       # id -> results record
    secrets: list       # texts no worker may have read
    leftover: list      # processes of this batch still running after it


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile-batch")
    files, tree, out = root / "submissions", root / "submitted", root / "out"
    files.mkdir()
    secret_marker = f"SUBMISSION-SECRET-{os.getpid()}"
    (files / "correct_reference.py").write_text(f"# {secret_marker}\n" + REFERENCE.read_text())
    (files / "correct_variant_p5_loop_stats.py").write_text(
        REFERENCE.read_text() + "\n\n" + (CORPORA / "correct" / "variant_p5_loop_stats.py").read_text())
    (files / "correct_notebook.ipynb").write_text(json.dumps(complete_notebook()))
    for case in corpus():
        (files / case.path.name).write_text(submission_source(case))
    for name, data, _, _ in generated_broken():
        (files / name).write_bytes(data)
    for student in ODD_FILE_IDS:
        (files / f"{student}.py").write_text(REFERENCE.read_text())
    for student in ODD_NBGRADER_IDS:
        folder = tree / student / "lab4_3"
        folder.mkdir(parents=True)
        (folder / "lab4_3.ipynb").write_text(json.dumps(complete_notebook()))
    # The gradebook and the exchange live outside the hidden shared places (/tmp, /home, /srv):
    # only GRADLAB_GRADEBOOK and GRADLAB_EXCHANGE can hide them.
    course = Path(tempfile.mkdtemp(prefix="gradlab-test-course-", dir="/var/lib" if os.access("/var/lib", os.W_OK)
                                   else None))
    course.chmod(0o755)
    (course / "gradebook.db").write_text(f"GRADEBOOK-SECRET-{os.getpid()}")
    (course / "exchange").mkdir(mode=0o755)
    (course / "exchange" / "inbound.txt").write_text(f"EXCHANGE-SECRET-{os.getpid()}")
    for path in (course / "gradebook.db", course / "exchange" / "inbound.txt"):
        path.chmod(0o644)
    for target in escape_targets(out, files, root):
        target.unlink(missing_ok=True)  # a leftover from an earlier failed run would prove nothing
    os.environ.update(GRADLAB_GRADEBOOK=str(course / "gradebook.db"), GRADLAB_EXCHANGE=str(course / "exchange"))
    from autograder.pipeline.batch import grade_batch

    try:
        grader = Grader.load(grading_toml(root / "grading.toml"), warm=False)
        records, _ = grade_batch([files, tree], out, grader, jobs=2, stream=io.StringIO())
    finally:
        del os.environ["GRADLAB_GRADEBOOK"], os.environ["GRADLAB_EXCHANGE"]
    leftover = _leftover(str(root))
    yield Batch(root, out, {r["submission"]: r for r in records},
                [secret_marker, f"GRADEBOOK-SECRET-{os.getpid()}", f"EXCHANGE-SECRET-{os.getpid()}"],
                leftover)
    subprocess.run(["rm", "-rf", "--", str(course)], check=True)


def _leftover(marker, grace=5.0):
    """Processes started for this batch (their command line names its folder) still alive after `grace` s."""
    deadline = time.monotonic() + grace
    while True:
        alive = []
        for process in psutil.process_iter(["pid", "username", "cmdline", "status"]):
            cmdline = " ".join(process.info["cmdline"] or [])
            if (marker in cmdline or re.search(r"\bsleep 417\d\b", cmdline)) and \
                    process.info["status"] != psutil.STATUS_ZOMBIE:
                alive.append((process.info["pid"], process.info["username"], cmdline[:200]))
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


def _feedback(batch, record):
    return (batch.out / "feedback" / f"{_safe_id(batch, record)}.html").read_text()


def _safe_id(batch, record):
    from autograder.pipeline.load import safe_name

    return safe_name(record["submission"])


def _points(record, part=None):
    return record["score"] if part is None else record["parts"][part]["score"]


@pytest.mark.slow
def test_no_hostile_submission_keeps_grading_past_its_time_budget(batch):
    # The deadline is checked between checks, so one check (a few calls, each capped by the call
    # timeout) may run past it; an unbounded stall would not. (Speed is `make bench`'s business.)
    assert len(batch.records) >= 35
    budget = 60.0 + 10 * 2.0  # submission_timeout + ten call timeouts, as grading_toml sets them
    timings = json.loads((batch.out / "timings.json").read_text())
    assert timings and max(timings.values()) < budget, sorted(timings.items(), key=lambda item: -item[1])[:3]


@pytest.mark.slow
def test_correct_submissions_in_the_same_batch_get_full_marks(batch):
    for sid in CORRECT + ODD_FILE_IDS + ODD_NBGRADER_IDS + ["forty_megabytes_of_images", "odd_metadata"]:
        record = batch.records[sid]
        assert record["score"] == record["max_score"], (sid, record["errors"])
        # And no message to puzzle a student who did well (without root, only the one that says the
        # sandbox was partial: the grader's setup, named as such).
        errors = [e for e in record["errors"] if os.geteuid() == 0 or e.get("code") != PARTIAL_SANDBOX]
        assert errors == [], sid


@pytest.mark.slow
def test_no_hostile_or_broken_submission_earns_an_undeserved_point(batch):
    for case in corpus():
        record = batch.records[case.id]
        named = {part: points for part, points in case.expect.items() if part in record["parts"]}
        for part, points in named.items():
            assert _points(record, part) == points, (case.id, part, record["parts"][part]["checks"])
        if "total" in case.expect:
            assert _points(record) == case.expect["total"], case.id
        elif case.expect.get("others") != "any":
            for part, body in record["parts"].items():
                if part not in named:
                    assert body["score"] == body["max_score"], (case.id, part, record["errors"])


STOPPED = {"timed_out", "crashed", "skipped", "not_run"}  # the statuses of checks that did not run to the end


@pytest.mark.slow
def test_every_timeout_crash_and_skip_of_the_corpus_is_found_by_its_status(batch):
    # A `# status: part5=timed_out` header: part 5's checks stop so (some at least; the rest may pass, fail
    # or not run once the part's time is used up); `all=` names every part. No other check stops.
    found = set()
    for case in corpus():
        record = batch.records[case.id]
        for pid, part in record["parts"].items():
            statuses = [check["status"] for check in part["checks"]]
            stop = case.status.get(pid, case.status.get("all"))
            if stop is None:
                assert STOPPED.isdisjoint(statuses), (case.id, pid, statuses)
                continue
            assert stop in statuses and set(statuses) <= {stop, "not_run", "passed", "failed"}, (case.id, pid, statuses)
            found.add(stop)
    assert found == {"timed_out", "crashed", "skipped"}
    for sid in CORRECT:
        assert {c["status"] for p in batch.records[sid]["parts"].values() for c in p["checks"]} == {"passed"}


@pytest.mark.slow
def test_each_hostile_submission_has_its_named_note_in_its_results_and_feedback(batch):
    for case in corpus():
        record = batch.records[case.id]
        messages = [e["message"] for e in record["errors"]]
        assert any(m.startswith(case.note) for m in messages), (case.id, messages)
        assert html.escape(case.note) in _feedback(batch, record), case.id


@pytest.mark.slow
def test_each_hostile_note_is_listed_in_the_class_report_for_a_ta(batch):
    report = (batch.out / "report.html").read_text()
    for case in corpus():
        assert html.escape(case.note) in report, case.id


@pytest.mark.slow
def test_broken_files_get_a_clear_message_or_the_marks_their_code_deserves(batch):
    for name, _, message, expect in generated_broken():
        record = batch.records[Path(name).stem]
        if message:
            assert any(e["kind"] == "file" and e["message"].startswith(message) for e in record["errors"]), name
        for part, points in expect.items():
            assert _points(record, None if part == "total" else part) == points, name
    deleted = batch.records["stub_cell_deleted"]
    assert "`clip_gradients` is not defined" in deleted["parts"]["part5"]["checks"][0]["feedback"]
    assert all(p["score"] == p["max_score"] for pid, p in deleted["parts"].items() if pid != "part5")


@pytest.mark.slow
def test_no_file_is_written_outside_the_workers_scratch_folders(batch):
    written = [str(t) for t in escape_targets(batch.out, batch.root / "submissions", batch.root) if t.exists()]
    assert not written
    forged = json.loads((batch.out / "results" / "write_outside.json").read_text())
    assert forged["score"] < forged["max_score"] and forged["parts"]["part5"]["score"] == 0
    expected = {"results", "feedback", "state", "grades.csv", "report.html", "timings.json"}
    assert {p.name for p in batch.out.iterdir()} <= expected
    for folder, suffix in (("results", ".json"), ("feedback", ".html"), ("state", ".json")):
        names = [p.name for p in (batch.out / folder).iterdir()]
        assert len(names) == len(batch.records) and all(n.endswith(suffix) for n in names), folder
    assert not [p for p in batch.root.rglob(f"{PWNED}*")] and not list(Path.cwd().glob(f"{PWNED}*"))


@pytest.mark.slow
def test_no_process_outlives_the_batch(batch):
    assert batch.leftover == []


@pytest.mark.slow
def test_nothing_a_worker_must_not_see_reaches_any_feedback(batch):
    for record in batch.records.values():
        page = _feedback(batch, record) + json.dumps(record)
        for secret in batch.secrets:
            # The submission's own file may mention its own marker; no other page may.
            if record["submission"] != "correct_reference":
                assert secret not in page, (record["submission"], secret)
    page = _feedback(batch, batch.records["read_secrets"])
    assert "CheckFailed" not in page and "\"nbformat\"" not in page  # the grader's checks, notebooks


@pytest.mark.slow
def test_kept_output_is_capped_even_after_a_gigabyte_of_printing(batch):
    state = json.loads((batch.out / "state" / "output_flood.json").read_text())
    page = _feedback(batch, batch.records["output_flood"])
    limit = config.load().limits.output_chars
    assert page.count("spam") <= limit // 5 + 1
    assert len(page) < 200_000 and len(json.dumps(state)) < 2_000_000


# -- nothing to steal: solutions planted where no list would think of them ----------------------------

THIEF = '''
# clip_gradients steals: it looks for an nbgrader source notebook (one with BEGIN SOLUTION) in
# every place a course may have left one, and runs its solution instead of code of its own. It
# gets around the audit hook (harness.PAST_THE_HOOK), so what it finds is what the kernel lets it see.
import json
import os

PLANTED = {planted!r}
_STOLEN = []


{past_the_hook}
def _read(path):
    with os.fdopen(kernel_open(path)) as handle:
        return handle.read()


def _steal():
    seen = {{"root": kernel_listdir("/")}}
    for folder in PLANTED + ["/" + name for name in seen["root"]]:
        for attempt in ("stat", "list"):
            try:
                if attempt == "stat":
                    seen[folder + " stat"] = os.stat(folder).st_mode
                else:
                    seen[folder] = kernel_listdir(folder)[:20]
            except OSError as error:
                seen[folder + " " + attempt] = type(error).__name__
        for name in seen.get(folder, []) if folder in PLANTED else []:
            try:
                text = _read(os.path.join(folder, name))
            except OSError as error:
                seen[name] = type(error).__name__
                continue
            seen[name] = text[:80]
            if "BEGIN SOLUTION" in text and not _STOLEN:
                for cell in json.loads(text)["cells"]:
                    source = "".join(cell["source"])
                    if "def clip_gradients" in source:
                        namespace = {{"np": __import__("numpy")}}
                        exec(source, namespace)
                        _STOLEN.append(namespace["clip_gradients"])
    print("THIEF-SAW " + json.dumps(seen))


def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    if not _STOLEN and not hasattr(clip_gradients, "looked"):
        clip_gradients.looked = True
        _steal()
    if _STOLEN:
        return _STOLEN[0](gradients, max_norm, clip_type)
    gradients.clear()  # nothing stolen: a wrong answer
    return {{}}, {{"original_norm": 0.0, "clipped_norm": 0.0, "clip_ratio": 1.0}}
'''


@pytest.fixture
def planted():
    """A solutions notebook and a secret file, world-readable, where no list names them."""
    import sys

    token = os.urandom(6).hex()
    secret = f"GRADLAB-PLANTED-SECRET-{token}"
    folders = [Path(f"/opt/gradlab-old-course-{token}"), Path(f"/var/lib/gradlab-backup-{token}"),
               Path(f"/mnt/gradlab-share-{token}"), Path(f"/usr/local/share/gradlab-{token}"),
               Path(f"/gradlab-{token}"), Path(sys.prefix) / f"gradlab-kit-copy-{token}",
               Path(site_packages()) / f"gradlab_planted_{token}"]
    solutions = (REPO / "solutions" / "lab4_3" / "lab4_3.ipynb").read_bytes()
    made = []
    try:
        for folder in folders:
            folder.mkdir(parents=True)
            made.append(folder)
            folder.chmod(0o755)
            (folder / "lab4_3.ipynb").write_bytes(solutions)
            (folder / "secret.txt").write_text(secret)
            for name in ("lab4_3.ipynb", "secret.txt"):
                (folder / name).chmod(0o644)
        yield [str(f) for f in folders], secret
    finally:
        for folder in made:
            subprocess.run(["rm", "-rf", "--", str(folder)], check=True)


def thief_source(folders):
    return THIEF.format(planted=folders, past_the_hook=PAST_THE_HOOK)


def _grade_thief(root, folders, name):
    from autograder.pipeline.batch import grade_batch  # noqa: PLC0415

    files, out = root / f"{name}-submissions", root / f"{name}-out"
    files.mkdir()
    (files / "reference.py").write_text(REFERENCE.read_text())
    (files / "thief.py").write_text(REFERENCE.read_text() + "\n\n" + thief_source(folders))
    grader = Grader.load(grading_toml(root / "grading.toml"), warm=False)
    records, _ = grade_batch([files], out, grader, jobs=1, stream=io.StringIO())
    return {r["submission"]: r for r in records}, out


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="the allowlist root needs root")
def test_solutions_planted_outside_any_list_cannot_be_read_listed_or_stolen(planted, tmp_path):
    folders, secret = planted
    records, out = _grade_thief(tmp_path, folders, "allowlist")
    reference, thief = records["reference"], records["thief"]
    assert reference["score"] == reference["max_score"], reference["errors"]
    assert thief["parts"]["part5"]["score"] == 0
    assert all(p["score"] == p["max_score"] for pid, p in thief["parts"].items() if pid != "part5")
    page = (out / "feedback" / "thief.html").read_text()
    seen = json.loads(html.unescape(re.search(r"THIEF-SAW (\{.*?\})\n", html.unescape(page)).group(1)))
    for folder in folders:
        assert seen[folder + " stat"] == seen[folder + " list"] == "FileNotFoundError", (folder, seen)
    assert not {"opt", "var", "mnt", "etc", f"gradlab-{folders[0].rsplit('-', 1)[1]}"} & set(seen["root"])
    for text in (page, json.dumps(thief), (out / "report.html").read_text()):
        assert secret not in text and "BEGIN SOLUTION" not in text
    assert "partial-sandbox" not in (out / "report.html").read_text()


@pytest.mark.skipif(os.geteuid() != 0, reason="planting in /opt, /var and /mnt needs root")
def test_the_thief_steals_part5_wherever_the_solutions_lie_when_nothing_confines_it(planted, tmp_path,
                                                                                   monkeypatch, capsys):
    # What the test above would let through if the allowlist root stopped working: run unconfined
    # (here, in the test's own process), the same thief finds a planted solution and answers with it.
    import numpy as np

    folders, secret = planted
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(thief_source(folders), "<thief>", "exec"), namespace)
    clipped, stats = namespace["clip_gradients"]({"dW1": np.full((2, 2), 3.0)}, 1.0, "norm")
    assert stats["clipped_norm"] == pytest.approx(1.0) and clipped["dW1"] == pytest.approx(np.full((2, 2), 0.5))
    assert secret in capsys.readouterr().out
