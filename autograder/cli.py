"""Command line: `python -m autograder grade PATH... --out DIR [--jobs N] [--seed N] [--force]`."""
import argparse
import os
import sys
from pathlib import Path

from . import __version__, config

DESCRIPTION = """Grade Lab 4.3 submissions.

PATH is a notebook (.ipynb), a Python file (.py), a folder of them, or an
nbgrader `submitted/` tree (<student>/<assignment>/<notebook>.ipynb). The
submission id is the nbgrader student id, else the file's stem.

Writes DIR/grades.csv, DIR/results/<id>.json, DIR/feedback/<id>.html,
DIR/report.html and DIR/timings.json. A second run reuses the results of
submissions whose file, grader and seed are unchanged (--force regrades).
Exit code 0 when every submission got a result (failed submissions
included); 2 when the grader itself cannot work (bad arguments, a broken
grading.toml, a missing release notebook)."""


def parser():
    main = argparse.ArgumentParser(prog="python -m autograder", description=DESCRIPTION,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    main.add_argument("--version", action="version", version=f"gradlab autograder {__version__}")
    commands = main.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade submissions", description=DESCRIPTION,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    grade.add_argument("paths", nargs="+", metavar="PATH", help="submissions to grade")
    grade.add_argument("--out", required=True, type=Path, metavar="DIR", help="where results go")
    grade.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                       help="grading processes in parallel (default: the number of cores, %(default)s)")
    grade.add_argument("--seed", type=int, default=None, metavar="N",
                       help="grading seed (default: the seed in grading.toml)")
    grade.add_argument("--force", action="store_true", help="regrade even unchanged submissions")
    grade.add_argument("--config", type=Path, default=config.DEFAULT_PATH, metavar="TOML",
                       help="grading settings (default: %(default)s)")
    _mutants_parser(commands)
    return main


def _mutants_parser(commands):
    mutants = commands.add_parser("mutants", help="measure the checks on generated mutants of the reference",
                                  description="Grade one-change mutants of the reference's four stubs; write "
                                  "DIR/results.json and DIR/report.html. Exit code 1 when a part's kill rate "
                                  "is below grading.toml's [mutants.min_kill_rate] or a mutant leaks into "
                                  "another part, 2 when the grader cannot work.")
    mutants.add_argument("--out", required=True, type=Path, metavar="DIR", help="where the report goes")
    mutants.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                         help="grading processes in parallel (default: %(default)s)")
    mutants.add_argument("--seed", type=int, default=None, metavar="N", help="grading seed")
    mutants.add_argument("--parts", nargs="+", default=None, metavar="PART", help="only these parts")
    mutants.add_argument("--sample", type=int, default=None, metavar="N",
                         help="at most N mutants per part, drawn with the seed (a quick look)")
    mutants.add_argument("--reference", type=Path, default=None, metavar="PY",
                         help="the reference to mutate (default: tests/corpora/correct/reference.py)")
    mutants.add_argument("--config", type=Path, default=config.DEFAULT_PATH, metavar="TOML",
                         help="grading settings (default: %(default)s)")


def main(argv=None):
    args = parser().parse_args(argv)
    if args.command == "mutants":
        from .mutants.cli import main as mutants_main

        return mutants_main(args)
    if args.jobs < 1:
        print("error: --jobs must be at least 1", file=sys.stderr)
        return 2
    from .run import grade_batch  # after argument parsing, so --help stays fast

    try:
        records, grading = grade_batch(args.paths, args.out, jobs=args.jobs, seed=args.seed,
                                       force=args.force, grading_path=args.config)
    except (config.ConfigError, FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    from .report import summary_table

    print(summary_table(records, grading))
    print(f"\nResults in {args.out}/ (grades.csv, results/, feedback/)")
    return 0
