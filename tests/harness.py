"""Grade source text the way `make grade` does, for tests: a Grader, real workers, real checks."""
import os
import re
from pathlib import Path

from autograder.pipeline.extract import extract
from autograder.pipeline.grader import Grader

TESTS = Path(__file__).resolve().parent
CORPORA = TESTS / "corpora"
REFERENCE = CORPORA / "correct" / "reference.py"


def corpus_source(*paths):
    """The text of corpus files joined in order (a later definition overrides an earlier one)."""
    return "\n\n".join(Path(p).read_text() for p in paths)


def statements(source):
    found, problems = extract([{"index": 0, "source": source}])
    assert not problems, problems
    return found


class Harness:
    """The session's Grader (`grader`), and one more per other seed a test asks for."""

    def __init__(self):
        self.grader = Grader.load()
        self.graded = {}  # path -> outcomes, graded once per test session (see `graded` below)
        self._seeded = {}

    @property
    def grading(self):
        return self.grader.settings

    def grade(self, source, parts=None, seed=None):
        """{(part, check name): Outcome} for `source` graded as one submission."""
        grader = self.grader
        if seed is not None and seed != self.grading.seed:
            if seed not in self._seeded:
                self._seeded[seed] = Grader.load(seed=seed, warm=False)
            grader = self._seeded[seed]
        graded = grader.grade(statements(source), parts=parts)
        return {(o.part, o.name): o for o in graded.outcomes}

    def close(self):
        for grader in (self.grader, *self._seeded.values()):
            grader.close()


def site_packages():
    """The site-packages folder NumPy is installed in (the one the grader's venv uses)."""
    import numpy  # noqa: PLC0415

    return os.path.dirname(os.path.dirname(os.path.realpath(numpy.__file__)))


def header(path):
    """{'part', 'mistake', 'named'} from a mutant's leading comments."""
    return dict(re.findall(r"^# (part|mistake|named): (\S+)$", Path(path).read_text(), re.MULTILINE))


def graded(harness, path):
    """All parts' outcomes for the reference overridden by `path` (or the reference itself),
    graded once per test session."""
    if path not in harness.graded:
        source = REFERENCE.read_text() if path == REFERENCE else corpus_source(REFERENCE, path)
        harness.graded[path] = harness.grade(source)
    return harness.graded[path]


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
