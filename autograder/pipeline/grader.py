"""The Grader: everything a grading process holds, built in one place.

`Grader.load(path, seed=..., secret=..., warm=..., plots=...)` reads and validates grading.toml
(the seed override is applied here and only here), decides where the inputs come from
(pipeline/inputs.py: with the course's secret, drawn for each submission; without, the
published inputs of the self-check), loads the parts (autograder/checks/:
each part's checks, mistakes, hooks, probe and kit code), reads the release, and puts
together the kit's statements (the release's definitions, then the kit code the parts
supply). It holds the worker supply and the caches: reference results and built Keras
layers (a references.Memo) and the Hypothesis examples drawn once per process. Every
path grades through one: `make grade` (pipeline/batch.py, one Grader per grading
process, pipeline/pool.py), nbgrader's grading service, the notebook's `check_part`,
the mutation tool, Gradescope and the tests.

warm=True (a grading process): the fork server and a spare worker start at once, and
TensorFlow is imported now rather than in the first submission's first check. warm=False
(the notebook's test cells, a process that only prepares and scores): workers start one
by one when a grade needs them, TensorFlow when a reference does.
"""
import dataclasses
from typing import Callable, Optional

from autograder import config
from autograder.checks import all_checks, load_parts, withheld
from autograder.outcomes import Graded
from autograder.pipeline import release
from autograder.pipeline.grade import Run, WorkerSupply
from autograder.pipeline.inputs import Inputs
from autograder.references import Memo, tensorflow
from autograder.secret import Secret
from autograder.worker import wire


@dataclasses.dataclass(frozen=True)
class Origin:
    """What a Grader was loaded from, to load the same one in another process (plain data)."""

    path: str
    seed: Optional[int] = None
    plots: bool = True
    secret: Optional[Secret] = None  # crosses only to the grading processes the Grader starts


class Grader:
    def __init__(self, origin, settings, parts, release_cells, kit, warm):
        self.origin = origin
        self.settings = settings        # config.Grading: grading.toml, validated, seed override applied
        self.inputs = Inputs(settings.seed, origin.secret)  # public, or drawn per submission
        self.parts = parts              # checks.LoadedPart records, in lab order
        self.checks = all_checks(parts)
        self.release = release_cells    # the released notebook's cells: the locked cells restored from
        self.kit = kit                  # statements run in every worker before the student's
        self.plots = origin.plots       # run the parts' plot probes after the checks
        self.memo = Memo()              # reference results and built Keras layers
        self.examples = {}              # the examples Hypothesis draws, once per property and seed
        self._stubs = {part.id: part.stub for part in parts}
        self._warm = warm
        self._supply = None
        if warm:
            self._supply = WorkerSupply(settings.limits, warm=True)
            tensorflow()  # once per grading process, not in the first submission's time

    @classmethod
    def load(cls, path=config.DEFAULT_PATH, *, seed=None, secret=None, warm=True, plots=True):
        """The Grader of grading.toml at `path`; seed: instead of the file's seed; secret: the
        course's Secret (graded inputs, drawn per submission), None for the published inputs."""
        parts = load_parts()
        settings = config.load(path, registry=all_checks(parts), withheld=withheld())
        if seed is not None:
            settings = dataclasses.replace(settings, seed=seed)
        cells = release.cells(settings)
        statements = release.definitions(cells) + [{"cell": f"kit code of {part.id}", "line": 1,
                                                    "source": part.kit_code} for part in parts if part.kit_code]
        kit = [wire.with_code(statement) for statement in statements]  # compiled here once, not per worker
        return cls(Origin(str(path), seed, plots, secret), settings, parts, cells, kit, warm)

    @classmethod
    def of(cls, origin, warm=True):
        """The Grader `origin` describes (another process's, handed over as plain data): its
        file, seed, secret and plots, all of them, so no process grades with less."""
        return cls.load(origin.path, seed=origin.seed, secret=origin.secret, warm=warm, plots=origin.plots)

    @property
    def supply(self):
        """The worker supply, started on first use when the Grader is not warm."""
        if self._supply is None:
            self._supply = WorkerSupply(self.settings.limits, warm=self._warm)
        return self._supply

    @property
    def mistakes(self):
        """{part id: its Mistakes table}: two parts may give one id to mistakes of their own."""
        return {part.id: part.mistakes for part in self.parts}

    def stub(self, part):
        """The stub part `part` grades."""
        return self._stubs[part]

    def grade(self, statements, parts=None, missing_text: Optional[Callable[[str], str]] = None,
              hidden=True) -> Graded:
        """Every check (of `parts`, default all) on one submission's statements, then its plots.

        missing_text(stub) -> str, if given, tells the student what to do when a stub is not
        defined; hidden=False leaves the hidden checks out (a notebook's public test cell)."""
        checks = [c for c in self.checks if (not parts or c.part in parts) and (hidden or not c.hidden)]
        return Run(self, statements, missing_text).grade(checks)

    def close(self):
        if self._supply is not None:
            self._supply.close()
            self._supply = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
