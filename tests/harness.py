"""Grade source text the way `make grade` does, for tests: real workers, real checks."""
import dataclasses
import os
import re
from pathlib import Path

from autograder import config
from autograder.pipeline import release
from autograder.checks import all_checks
from autograder.pipeline.extract import extract
from autograder.pipeline.grade import WorkerSupply, grade

TESTS = Path(__file__).resolve().parent
CORPORA = TESTS / "corpora"
REFERENCE = CORPORA / "correct" / "reference.py"


def corpus_source(*paths):
    """The text of corpus files joined in order (a later definition overrides an earlier one)."""
    return "\n\n".join(Path(p).read_text() for p in paths)


class Harness:
    def __init__(self):
        self.checks = all_checks()
        self.grading = config.load(registry=self.checks)
        try:
            self.kit = release.kit_statements(self.grading)
        except FileNotFoundError:  # before the first `make release`: the reference is a complete kit
            self.kit = extract([{"index": 0, "source": REFERENCE.read_text()}])[0]
        self.supply = WorkerSupply(self.grading.limits, hide=())

    def grade(self, source, parts=None, seed=None, max_examples=None):
        """{(part, check name): Outcome} for `source` graded as one submission."""
        grading = self.grading
        if seed is not None:
            grading = dataclasses.replace(grading, seed=seed)
        if max_examples is not None:
            grading = dataclasses.replace(grading, max_examples=max_examples)
        statements, problems = extract([{"index": 0, "source": source}])
        assert not problems, problems
        graded = grade(statements, self.checks, grading, self.kit, self.supply, parts=parts)
        return {(o.part, o.name): o for o in graded.outcomes}

    def close(self):
        self.supply.close()


def site_packages():
    """The site-packages folder NumPy is installed in (the one the grader's venv uses)."""
    import numpy  # noqa: PLC0415

    return os.path.dirname(os.path.dirname(os.path.realpath(numpy.__file__)))


def header(path):
    """{'part', 'mistake', 'named'} from a mutant's leading comments."""
    return dict(re.findall(r"^# (part|mistake|named): (\S+)$", Path(path).read_text(), re.MULTILINE))


_GRADED = {}


def graded(harness, path):
    """All parts' outcomes for the reference overridden by `path` (or the reference itself),
    graded once per test session."""
    if path not in _GRADED:
        source = REFERENCE.read_text() if path == REFERENCE else corpus_source(REFERENCE, path)
        _GRADED[path] = harness.grade(source)
    return _GRADED[path]


# Student code that gets around the worker's audit hook (Python code always can): the hook resolves
# a relative name against the working folder, the kernel against dir_fd. So these open a path as
# the kernel alone decides, from a working folder deep inside the scratch; tests of a kernel layer
# (test_workers.py) and the thief that looks for planted solutions (test_hostile.py) use them.
PAST_THE_HOOK = """\
def kernel_open(path, flags=os.O_RDONLY):
    home = os.open(".", os.O_RDONLY)
    os.makedirs("d/" * 20, exist_ok=True)
    os.chdir("d/" * 20)
    try:
        return os.open("../" * 16 + path.lstrip("/"), flags, dir_fd=home)
    finally:
        os.chdir(home)
        os.close(home)


def kernel_listdir(path):
    fd = kernel_open(path)
    try:
        return sorted(os.listdir(fd))
    finally:
        os.close(fd)

"""
