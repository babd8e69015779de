"""`python -m autograder mutants`: run the pipeline, print the summary, apply the gate."""
import sys

from .. import config
from . import pipeline


def main(args):
    if args.jobs < 1 or (args.sample is not None and args.sample < 1):
        print("error: --jobs and --sample must be at least 1", file=sys.stderr)
        return 2
    try:
        results, failures, seconds = pipeline.run(
            args.out, jobs=args.jobs, seed=args.seed, grading_path=args.config,
            reference=args.reference or pipeline.DEFAULT_REFERENCE, parts=args.parts, per_part=args.sample)
    except (config.ConfigError, FileNotFoundError, ValueError) as error:
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
