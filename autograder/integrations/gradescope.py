"""Gradescope: build dist/autograder.zip, and grade inside Gradescope's container.

`python -m autograder gradescope build dist/autograder.zip` (what `make gradescope` runs)
packs what Gradescope needs at the zip's root: setup.sh, run_autograder,
requirements.txt (the pins), the staff wheel (the whole autograder package, hidden
checks and references included, with grading.toml and the released notebook inside)
and the course's grading secret (grading.secret). Students never see the zip; they
see results.json, which carries neither the secret nor the seed. Never solutions/ or
tests/: the wheel is built from the package alone, and the zip is checked for
solution cells, solution notebooks and test files before it is kept.

`python -m autograder gradescope run [--root /autograder]` (what run_autograder runs)
grades the one notebook or .py in <root>/submission with a Grader, in this process, as
the batch grades each submission (prepare, grade, score: no pool for one submission), and
writes <root>/results/results.json in Gradescope's format: one test per check, numbered
"<part>.<check>".
"""
import argparse
import json
import re
import sys
import tempfile
import zipfile
from pathlib import Path

from autograder import config, secret
from autograder.integrations import wheel
from autograder.outputs.pages import inputs_sentence
from autograder.secret import SecretMissing
from autograder.secret import find as find_secret

ZIP_TIME = (2020, 1, 1, 0, 0, 0)   # fixed timestamps: the same sources give the same zip
SCRIPTS = ("setup.sh", "run_autograder")

# Hidden checks are shown at once, like every other check (docs/design.md, principle 7: they add
# coverage, not secrecy; their feedback is on the student's page after `make feedback` anyway).
# Passing them needs correct code, so seeing them early only helps a student get there.
# Change to "after_published" to reveal them with the grades instead.
HIDDEN_VISIBILITY = "visible"


# -- building the zip ------------------------------------------------------------------

def build(dest, repo=config.REPO):
    """Write the autograder zip to `dest`; returns the list of archive names. SecretMissing when
    the course has no grading secret: Gradescope grades with it."""
    repo, dest = Path(repo), Path(dest)
    found = find_secret(repo / "grading.toml")
    with tempfile.TemporaryDirectory(prefix="gradlab-gradescope-") as tmp:
        built = wheel.build(tmp, repo, kit="staff")
        key = Path(tmp) / secret.FILE_NAME
        key.write_text(found.key.hex() + "\n")
        entries = [(repo / "gradescope" / name, name) for name in SCRIPTS]
        entries += [(repo / "requirements.txt", "requirements.txt"), (built, built.name), (key, secret.FILE_NAME)]
        dest.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as archive:
            for path, name in entries:
                info = zipfile.ZipInfo(name, ZIP_TIME)
                mode = 0o100755 if name in SCRIPTS else 0o100600 if name == secret.FILE_NAME else 0o100644
                info.external_attr = mode << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
    problems = wheel.leaks(dest)
    if problems:
        dest.unlink()
        raise ValueError(f"the zip would ship what students must not get: {'; '.join(problems)}")
    return [name for _, name in entries]


# -- grading on Gradescope --------------------------------------------------------------

def run(root, grader=None):
    """Grade <root>/submission into <root>/results/results.json with `grader` (default: the kit's
    grading.toml); returns the exit code."""
    from autograder.outputs.report import summary_table  # noqa: PLC0415 - the grading path only
    from autograder.pipeline.grader import Grader

    root = Path(root)
    results_path = root / "results" / "results.json"
    own = grader is None
    if own:
        try:
            found = find_secret(config.DEFAULT_PATH)  # run_autograder names the zip's copy
        except SecretMissing as error:
            print(f"gradlab: {error}", file=sys.stderr)  # no results.json: an autograder failure staff see
            return 1
    # Not warm: one submission needs one worker (two after a crash), each started when needed.
    grader = Grader.load(warm=False, secret=found) if own else grader
    try:
        found = find_submission(root / "submission", grader.settings.notebook)
        if found is None:
            _write(results_path, no_submission(grader.settings))
            return 0
        try:
            record = grade_file(found, grader)
        except Exception as error:  # noqa: BLE001 - any failure of the grader is the instructor's to see
            # No results.json: Gradescope then flags the run as an autograder failure, which an
            # instructor sees, instead of a silent 0 the student would have to query.
            print(f"gradlab: grading failed ({type(error).__name__}: {error})", file=sys.stderr)
            return 1
        print(summary_table([record], grader.settings))  # stdout is for instructors only (stdout_visibility)
        for flag in record.get("flags", []):
            print(f"For a TA to look at (no points lost): {flag['message']}")
        _write(results_path, to_results(record, grader.checks, found.relative_to(root / "submission")))
        return 0
    finally:
        if own:
            grader.close()


def grade_file(path, grader):
    """The results record of the submission at `path`: what the batch does for each of its
    submissions (pipeline/batch.py: prepare, grade, score), here in this process."""
    from autograder.pipeline.batch import scored  # noqa: PLC0415 - the grading path only
    from autograder.pipeline.load import Submission
    from autograder.pipeline.prepare import prepare

    prepared = prepare(Submission(path.stem, path), grader)
    graded = None if prepared.problems else grader.grade(prepared.statements)
    record, *_ = scored(prepared, graded, grader)
    return record


def find_submission(folder, notebook_name):
    """The file to grade: the notebook named as released, else the shallowest .ipynb, else a .py."""
    folder = Path(folder)
    if not folder.is_dir():
        return None
    files = sorted((p for p in folder.rglob("*") if p.is_file() and p.suffix in (".ipynb", ".py")
                    and not any(part.startswith(".") for part in p.relative_to(folder).parts)),
                   key=lambda p: (len(p.relative_to(folder).parts), str(p)))
    for wanted in (lambda p: p.name == notebook_name, lambda p: p.suffix == ".ipynb", lambda p: True):
        matching = [p for p in files if wanted(p)]
        if matching:
            return matching[0]
    return None


def to_results(record, checks=(), filename="your submission"):
    """Gradescope's results.json for one results record.

    checks: the registered Check records, for each check's one-line summary and whether it is hidden."""
    known = {(c.part, c.name): c for c in checks}
    tests = []
    for index, (pid, part) in enumerate(record["parts"].items(), start=1):
        number = _part_number(pid, index)
        for position, check in enumerate(part["checks"], start=1):
            info = known.get((pid, check["name"]))
            tests.append({
                "name": f"{part['title']} — {check['name']}",
                "number": f"{number}.{position}",
                "score": check["score"],
                "max_score": check["max_score"],
                "status": "passed" if check["passed"] else "failed",  # true exactly when its status is passed
                "output": f"{info.summary}\n\n{check['feedback']}" if info else check["feedback"],
                "visibility": HIDDEN_VISIBILITY if info and info.hidden else "visible",
            })
    return {
        "score": record["score"],
        "output": _summary(record, filename),
        "output_format": "text",
        "test_output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        # No seed, secret or flag: students read this file (flags go to stdout, for instructors).
        "extra_data": {"grader_version": record.get("grader_version")},
    }


def no_submission(grading):
    return {
        "score": 0,
        "output": (f"No notebook or Python file was found in your submission. Upload your completed "
                   f"{grading.notebook} (or a .py file exported from it) and submit again."),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
    }


def _summary(record, filename):
    lines = [f"Graded {filename}: {record['score']:g} / {record['max_score']:g} points."]
    lines += [f"  {part['title']}: {part['score']:g} / {part['max_score']:g}" for part in record["parts"].values()]
    for error in record.get("errors", []):
        if error.get("kind") == "grader":
            lines.append("The grader itself had a problem with one check (not your fault); "
                         "tell your instructor so it can be regraded.")
        else:
            lines.append(str(error.get("message", "")))
    lines.append(inputs_sentence(record))
    lines.append("Each test below is one check; its output says what was checked and, if it failed, why.")
    return "\n".join(lines)


def _part_number(pid, index):
    digits = re.findall(r"\d+", pid)
    return digits[0] if digits else str(index)


def _write(path, results):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, allow_nan=False) + "\n")


# -- the `gradescope` verb -------------------------------------------------------------------

def add_parser(commands):
    sub = commands.add_parser("gradescope", help="build the Gradescope autograder zip, or grade inside Gradescope",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = sub.add_subparsers(dest="action", required=True, metavar="ACTION")
    build_parser = actions.add_parser("build", help="write the autograder zip (make gradescope)")
    build_parser.add_argument("zip", type=Path, nargs="?", default=config.REPO / "dist" / "autograder.zip",
                              help="where the zip goes (default: %(default)s)")
    build_parser.set_defaults(run=build_command)
    run_parser = actions.add_parser("run", help="grade the submission inside Gradescope (run_autograder)")
    run_parser.add_argument("--root", type=Path, default=Path("/autograder"),
                            help="Gradescope's folder, holding submission/ and results/ (default: %(default)s)")
    run_parser.set_defaults(run=run_command)


def build_command(args):
    try:
        names = build(args.zip)
    except (*wheel.BUILD_ERRORS, SecretMissing) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"Wrote {args.zip} ({len(names)} files). Upload it as the autograder of a "
          "Gradescope programming assignment (base image: Ubuntu 22.04 or newer).")
    return 0


def run_command(args):
    try:
        return run(args.root)
    except config.ConfigError as error:  # a broken grading.toml in the zip: one line for the instructor
        print(f"error: {error}", file=sys.stderr)
        return 2
