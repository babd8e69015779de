"""The `grade` verb: `python -m autograder grade PATH... --out DIR [--jobs N] [--seed N] [--force]`.

The batch (pipeline/batch.py) does the grading; this module is the verb around it: its
options, then the steps over the whole class the batch is handed (the similarity report,
tools/similarity) and the copy `--keep-previous` makes for `diff`. It sits with the tools,
not in pipeline/, because it chooses among them: the pipeline knows no tool.
"""
import argparse
import os
import sys
from pathlib import Path

from autograder import config
from autograder.secret import SecretMissing
from autograder.secret import find as find_secret

DESCRIPTION = """Grade Lab 4.3 submissions.

PATH is a notebook (.ipynb), a Python file (.py), a folder of them, or an
nbgrader `submitted/` tree (<student>/<assignment>/<notebook>.ipynb). The
submission id is the nbgrader student id, else the file's stem.

Writes DIR/grades.csv, DIR/results/<id>.json, DIR/feedback/<id>.html,
DIR/report.html, DIR/timings.json and DIR/similarity.json (pairs of
submissions whose code a TA may want to compare; --no-similarity skips
it). A second run reuses the results of submissions whose file, grader,
seed and secret are unchanged (--force regrades).

Every submission is graded on inputs drawn for it from the course's
grading secret and its own code, which students cannot know (the
self-check in the notebook uses the published ones). The secret is read
from $GRADLAB_SECRET, else the file $GRADLAB_SECRET_FILE, else
grading.secret next to grading.toml; without one, nothing is graded
(`make secret` creates it).
Exit code 0 when every submission got a result (failed submissions
included); 2 when the grader itself cannot work (bad arguments, a broken
grading.toml, a missing release notebook)."""


def add_parser(commands):
    grade = commands.add_parser("grade", help="grade submissions into grades.csv, results, feedback pages "
                                "and the class report", description=DESCRIPTION,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    grade.add_argument("paths", nargs="+", metavar="PATH", help="submissions to grade")
    grade.add_argument("--out", required=True, type=Path, metavar="DIR", help="where results go")
    grade.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                       help="grading processes in parallel (default: the number of cores, %(default)s)")
    grade.add_argument("--seed", type=int, default=None, metavar="N",
                       help="the salt mixed with the course's secret into each submission's inputs "
                            "(default: the seed in grading.toml)")
    grade.add_argument("--force", action="store_true", help="regrade even unchanged submissions")
    grade.add_argument("--no-similarity", action="store_true",
                       help="do not compare the submissions' code (no similarity.json, no Pairs to review)")
    grade.add_argument("--config", type=Path, default=config.DEFAULT_PATH, metavar="TOML",
                       help="grading settings (default: %(default)s)")
    grade.add_argument("--keep-previous", action="store_true",
                       help="first copy DIR to DIR.previous, for `diff DIR.previous DIR` after a regrade")
    grade.set_defaults(run=main)


def similarity_step(skip):
    """The similarity report's step after grading (tools/similarity), or the one that says it was skipped."""
    from autograder.tools import similarity  # scipy loads only when a class is graded

    return similarity.skipped_step if skip else similarity.class_step


def main(args):
    if args.jobs < 1:
        print("error: --jobs must be at least 1", file=sys.stderr)
        return 2
    from autograder.pipeline.batch import grade_batch  # after argument parsing, so --help stays fast
    from autograder.pipeline.grader import Grader
    from autograder.pipeline.pool import GradingFailed
    from autograder.tools.diff import keep_previous

    try:
        # Loading the Grader validates grading.toml: a broken one is one line, and nothing is copied.
        secret = find_secret(args.config)
        with Grader.load(args.config, seed=args.seed, secret=secret, warm=False) as grader:
            if args.keep_previous:
                print(keep_previous(args.out), file=sys.stderr)
            records, grading = grade_batch(args.paths, args.out, grader, jobs=args.jobs, force=args.force,
                                           class_steps=(similarity_step(args.no_similarity),))
    except (config.ConfigError, SecretMissing, FileNotFoundError, ValueError, GradingFailed) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    from autograder.outputs.report import summary_table

    print(summary_table(records, grading))
    print(f"\nResults in {args.out}/ (grades.csv, results/, feedback/)")
    return 0
