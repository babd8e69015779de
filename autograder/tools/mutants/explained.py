"""Survivors the checks let through on purpose, each with the reason.

`make mutants` shows the reason next to the survivor; it still counts against
the part's kill rate. A survivor matches an entry when its part is `part` and
a line the mutant adds to the stub (a `+` line of its diff, stripped) is `line`.
"""

SURVIVORS = (
    {"part": "part5",
     "line": "clip_ratio = clipped_norm / original_norm if original_norm > 0 else 0.0",
     "why": "When every gradient is 0, clip_ratio is 0/0: the contract does not say which number it is, so "
            "zero_gradients accepts 0 or 1 (checks/part5_clipping.py, ZERO_RATIOS). Grading one of them "
            "would fail correct code written the other way."},
)
