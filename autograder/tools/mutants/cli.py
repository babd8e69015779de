"""`python -m autograder mutants`: run the pipeline, print the summary, apply the gate."""
import os
import sys
from pathlib import Path

from autograder import config


def add_parser(commands):
    """The `mutants` subcommand of `python -m autograder`."""
    mutants = commands.add_parser("mutants", help="measure the checks on generated mutants of the solution",
                                  description="Grade one-change mutants of the solution's stubs; write "
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
    mutants.add_argument("--reference", type=Path, default=None, metavar="FILE",
                         help="the solution to mutate, a .py or a notebook (default: the kit's source notebook, "
                              "solutions/<assignment>/<notebook>)")
    mutants.add_argument("--config", type=Path, default=config.DEFAULT_PATH, metavar="TOML",
                         help="grading settings (default: %(default)s)")
    mutants.set_defaults(run=main)


def main(args):
    if args.jobs < 1 or (args.sample is not None and args.sample < 1):
        print("error: --jobs and --sample must be at least 1", file=sys.stderr)
        return 2
    from autograder.pipeline.grader import Grader  # after argument parsing, so --help stays fast
    from autograder.pipeline.pool import GradingFailed
    from autograder.tools.mutants import pipeline

    try:
        with Grader.load(args.config, seed=args.seed, warm=False) as grader:
            results, failures, seconds = pipeline.run(args.out, grader, jobs=args.jobs, reference=args.reference,
                                                      parts=args.parts, per_part=args.sample)
    except (config.ConfigError, FileNotFoundError, ValueError, GradingFailed) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(summary(results))
    print(f"\n{sum(p['mutants'] for p in results['parts'].values())} mutants graded in {seconds:.0f} s; "
          f"report in {args.out}/report.html, data in {args.out}/results.json")
    for part, rate, minimum, survivors in failures:
        print(f"\nGATE FAILED: {part} kills {rate:.1%} of its non-equivalent mutants"
              f"{f' (minimum {minimum:.0%})' if minimum is not None else ''}; survivors and leaks: "
              f"{', '.join(survivors) or 'none'}", file=sys.stderr)
    return 1 if failures else 0


def summary(results):
    columns = ("mutants", "killed", "crashed", "leaked", "survived", "equivalent")
    lines = [f"{'part':<6}" + "".join(f"{c:>11}" for c in columns) + f"{'kill rate':>11}"]
    for part, counts in results["parts"].items():
        lines.append(f"{part:<6}" + "".join(f"{counts[c]:>11}" for c in columns) + f"{counts['kill_rate']:>11.1%}")
    return "\n".join(lines)
