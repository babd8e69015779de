"""The part manifest: which stub each graded part grades, and where the stub lives.

The one table of graded stubs, and the only list of parts any tool iterates:
the loader (checks/__init__.py, which gives each row its checks, mistakes,
hooks, probe and kit code), the grader, the worker (worker/ops.py, which reads
this file by path: it runs outside the package), the mutation tool, the
similarity report and the tests all read it; tests/test_parts.py shows it
agrees with the released notebook and grading.toml. Adding a part means adding
a row here, a [parts.<id>] table in grading.toml, a module in checks/ (and one
in references/), and the stub in the source notebook.

Plain Python only (no NumPy, no TensorFlow): the worker imports it.
"""
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class GradedPart:
    id: str                # grading.toml's [parts.<id>] and results' part id
    lab_part: int          # the lab's own numbering, as students read it: "Part 2"
    stub: str              # the function or method the student writes
    holder: Optional[str]  # the class holding the method; None for a module-level function
    checks: str            # its module in autograder/checks/ (and autograder/references/)

    @property
    def location(self):
        """(namespace entry, attribute) where a submission defines it: (class, method) for a
        method, (function, None) for a function."""
        return (self.holder, self.stub) if self.holder else (self.stub, None)

    @property
    def qualified(self):
        """How the student's notebook spells it: `DeepNeuralNetwork.backward_propagation`."""
        return f"{self.holder}.{self.stub}" if self.holder else self.stub


# In lab order: feedback, grades.csv and the class report list parts in this order.
PARTS = (
    GradedPart("part2", 2, "backward_propagation", "DeepNeuralNetwork", "part2_backprop"),
    GradedPart("part5", 5, "clip_gradients", None, "part5_clipping"),
    GradedPart("part6", 6, "batch_normalize", "BatchNormNetwork", "part6_batchnorm"),
    GradedPart("part9", 9, "diagnose_gradient_health", None, "part9_diagnosis"),
)

BY_ID = {part.id: part for part in PARTS}
