"""Mutation analysis of the kit's own checks (`make mutants`).

The pipeline, one module per step:
generate (one change to one stub of the reference, by AST) -> grade (every
mutant through the batch grader's processes and sandboxed workers) ->
equivalence (survivors against the reference on many seeded inputs, in a
worker) -> report (results.json, report.html) -> gate (grading.toml's minimum
kill rate per part).
"""
