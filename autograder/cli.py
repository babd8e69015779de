"""Command line: `python -m autograder VERB ...`, one tree for every verb.

Each verb is declared by the module that owns its job, in one way: a function
`add_parser(commands)` adds the verb to `commands` (argparse's subparsers), with a
one-line `help=` for the list below, and sets `run=` to the function that does the
work: `run(args) -> exit code`, 0 when done, 1 when a gate or a check failed, 2 when
the grader cannot work (bad arguments, a broken grading.toml, a missing file), each
error said in one line. A verb added later is one more module in VERBS; nothing else
here knows any verb.

Verb modules import what is heavy (TensorFlow, the checks, nbgrader) inside their
`run`, so that building this tree, and `--help`, stays fast.
"""
import argparse

from autograder import __version__, config, secret
from autograder.integrations import export, gradescope, lms, wheel
from autograder.tools import diff, grade_command
from autograder.tools.mutants import cli as mutants

# The modules that declare a verb, in the order `--help` lists them.
VERBS = (grade_command, secret, lms, diff, mutants, gradescope, export, wheel, config)

DESCRIPTION = """The Lab 4.3 autograder, one verb per job.

`python -m autograder VERB --help` tells what a verb does, its options and its
exit codes: 0 done; 1 a gate or a check failed (mutants); 2 the grader cannot
work (bad arguments, a broken grading.toml, a missing file), said in one line."""


def parser():
    main = argparse.ArgumentParser(prog="python -m autograder", description=DESCRIPTION,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    main.add_argument("--version", action="version", version=f"gradlab autograder {__version__}")
    commands = main.add_subparsers(dest="verb", required=True, metavar="VERB")
    for verb in VERBS:
        verb.add_parser(commands)
    return main


def main(argv=None):
    args = parser().parse_args(argv)
    return args.run(args)
