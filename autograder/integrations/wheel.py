"""`make wheel` (`python -m autograder wheel`): the student distribution, dist/gradlab-<version>-py3-none-any.whl.

The student kit (integrations/student_kit.py: the `autograder` package with its public
checks, open book, and references that only answer the published inputs; no hidden
check, no function that computes a stub's contract) with grading.toml and the released
notebook packed as package data (autograder/data/), and the dependencies the notebook's
test cells need (pyproject.toml, per platform). Nothing from solutions/ or tests/, and
never the grading secret: the wheel is built from a staging copy that holds only those
files, and checked afterwards, so that a student who installs it can open nothing an
instructor keeps to themselves. `build(..., kit="staff")` packs the package as it is,
for the Gradescope zip, which students never see.
"""
import argparse
import ast
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

from autograder import config, secret
from autograder.pipeline import release

# The student kit's own references modules: the memo and TensorFlow's start (__init__), the
# stand-ins' runtime (recorded), the lab's given activations and cost (numeric).
KIT_REFERENCES = ("__init__.py", "recorded.py", "numeric.py")

STAGED = ("pyproject.toml", "README.md")
# What a build reports as a one-line message (a missing release, solutions in it, pip failing).
BUILD_ERRORS = (FileNotFoundError, ValueError, RuntimeError, config.ConfigError)


def wheel_name(repo=config.REPO):
    project = tomllib.loads((Path(repo) / "pyproject.toml").read_text())["project"]
    return f"{project['name']}-{project['version']}-py3-none-any.whl"


def build(dist, repo=config.REPO, kit="student"):
    """Build the wheel into `dist` and return its path; refuses a release that holds solutions.
    kit: "student" (what students install) or "staff" (the whole package: the Gradescope zip)."""
    repo, dist = Path(repo), Path(dist)
    grading_path = repo / "grading.toml"
    grading = config.load(grading_path)
    notebook = repo / "assignment" / grading.assignment / grading.notebook
    if not notebook.is_file():
        raise FileNotFoundError(f"{notebook} is missing: run `make release` first")
    if not release.is_student_release(notebook.read_text(encoding="utf-8")):
        raise ValueError(f"{notebook} still holds solution or hidden-test cells; it is not a student release")
    with tempfile.TemporaryDirectory(prefix="gradlab-wheel-") as stage:
        stage = Path(stage)
        for name in STAGED:
            shutil.copy2(repo / name, stage / name)
        shutil.copytree(repo / "autograder", stage / "autograder",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "data"))
        (stage / "autograder" / "data").mkdir()
        if kit == "student":
            from autograder.integrations.student_kit import make_student_kit  # noqa: PLC0415 - grades: heavy

            make_student_kit(stage / "autograder", grading_path)
        shutil.copy2(grading_path, stage / "autograder" / "data" / "grading.toml")
        shutil.copy2(notebook, stage / "autograder" / "data" / grading.notebook)
        dist.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                               "--disable-pip-version-check", "--wheel-dir", str(dist), str(stage)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"pip wheel failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    path = dist / wheel_name(repo)
    problems = leaks(path) + (solves(path) if kit == "student" else [])
    if problems:
        path.unlink()
        raise ValueError(f"the wheel would ship what students must not get: {'; '.join(problems)}")
    return path


def leaks(archive):
    """What in a zip (wheel or Gradescope zip) students must not get; [] when nothing."""
    problems = []
    with zipfile.ZipFile(archive) as opened:
        for name in opened.namelist():
            parts = name.split("/")
            if "solutions" in parts or "tests" in parts or parts[-1].startswith("test_"):
                problems.append(f"{name} (solutions or tests)")
            data = opened.read(name)
            if name.endswith(".whl"):  # the Gradescope zip carries the wheel: look inside it too
                with tempfile.TemporaryDirectory() as tmp:
                    inner = Path(tmp) / parts[-1]
                    inner.write_bytes(data)
                    problems += [f"{name}: {p}" for p in leaks(inner)]
            elif not release.is_student_release(data.decode("utf-8", "replace")):
                problems.append(f"{name} (a solution or hidden-test cell)")
    return problems


def solves(archive):
    """What in the student wheel could grade or solve a stub for a student; [] when nothing: a
    references module that defines functions (the stand-ins are assignments), a hidden check,
    a grading secret."""
    from autograder.integrations.student_kit import is_hidden_check  # noqa: PLC0415 - loads the checks

    problems = []
    with zipfile.ZipFile(archive) as opened:
        for name in opened.namelist():
            text = opened.read(name).decode("utf-8", "replace")
            parts = name.split("/")
            if parts[-1] == secret.FILE_NAME:
                problems.append(f"{name} (the grading secret)")
            if name.endswith(".py") and parts[:2] == ["autograder", "references"] and parts[-1] not in KIT_REFERENCES \
                    and any(isinstance(node, (ast.FunctionDef, ast.ClassDef)) for node in ast.walk(ast.parse(text))):
                problems.append(f"{name} (a reference that computes)")
            if name.startswith("autograder/checks/") and name.endswith(".py") \
                    and any(is_hidden_check(node) for node in ast.parse(text).body):
                problems.append(f"{name} (a hidden check)")
    return problems


def add_parser(commands):
    sub = commands.add_parser("wheel", help="build the students' wheel of the kit (make wheel)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub.add_argument("dist", type=Path, nargs="?", default=config.REPO / "dist", metavar="DIST",
                     help="the folder the wheel goes into (default: %(default)s)")
    sub.set_defaults(run=main)


def main(args):
    try:
        path = build(args.dist)
    except BUILD_ERRORS as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"Wrote {path}. Students install it with the pinned requirements as constraints: "
          f"pip install {path.name} -c requirements.txt (README, Student environment).")
    return 0
