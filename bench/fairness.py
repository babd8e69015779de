"""`make fairness`: are grades the same whatever the course's secret?

Graded inputs derive from the course's secret and each submission's code
(autograder/pipeline/inputs.py), so two courses, or two terms, grade the same file on
different inputs. That is fair only if a correct submission gets full marks on any of
them and a wrong one loses the same points on (almost) any of them. This grades, under
SECRETS different secrets, every correct variant of the test corpora (all parts) and every
generated one-change mutant of the kit's solution (`make mutants`' generator; its own part
only), in 2 grading processes, and writes bench/fairness.json:
  correct: {variant: [score under each secret]} and whether each got full marks under all;
  mutants: per mutant, its part's score under each secret, the share of secrets under which
  that score is its most common one (its agreement), and the spread: how many mutants agree
  under every secret, under at least 95 % of them, and the lowest agreement.
"""
import argparse
import collections
import hashlib
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from autograder.pipeline.extract import extract  # noqa: E402 - after the path above
from autograder.pipeline.grader import Grader, Origin  # noqa: E402
from autograder.pipeline.inputs import Inputs  # noqa: E402
from autograder.pipeline.pool import Pool  # noqa: E402
from autograder.secret import Secret  # noqa: E402
from autograder.tools.mutants import generate  # noqa: E402
from autograder.tools.mutants.pipeline import reference_source  # noqa: E402
from harness import CORPORA, REFERENCE, corpus_source  # noqa: E402

SECRETS = 20
AGREEMENT = 0.95  # issue 22: each mutant's part score the same under at least 95 % of the secrets


def secrets(count):
    return [hashlib.sha256(f"gradlab fairness secret {i}".encode()).hexdigest() for i in range(count)]


def grade_task(grader, payload):
    """{part: score} of `source` graded with `key` (hex) as the course's secret; `parts`: None for all."""
    key, source, parts = payload
    grader.inputs = Inputs(grader.settings.seed, Secret(bytes.fromhex(key), "fairness"))
    statements, _ = extract([{"index": 0, "source": source}])
    graded = grader.grade(statements, parts=parts)
    points = {}
    for outcome in graded.outcomes:
        worth = grader.settings.parts[outcome.part].checks[outcome.name]
        points[outcome.part] = points.get(outcome.part, 0) + (worth if outcome.passed else 0)
    return {part: round(value, 6) for part, value in points.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--secrets", type=int, default=SECRETS)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "fairness.json")
    args = parser.parse_args(argv)
    started = time.monotonic()
    keys = secrets(args.secrets)
    with Grader.load(warm=False) as grader:
        solution = reference_source(grader)
        mutants = generate.generate(solution)
        full = {part: points.points for part, points in grader.settings.parts.items()}
    variants = {p.stem: corpus_source(REFERENCE, p) for p in sorted((CORPORA / "correct").glob("variant_*.py"))}
    variants["reference"] = REFERENCE.read_text()
    jobs = [("correct", name, key, source, None) for name, source in variants.items() for key in keys]
    jobs += [("mutant", m.id, key, m.source, [m.part]) for m in mutants for key in keys]
    pool = Pool(Origin(str(grader.origin.path), plots=False), args.jobs, grade_task)
    try:
        tickets = {pool.submit((key, source, parts)): (kind, name) for kind, name, key, source, parts in jobs}
        scores = collections.defaultdict(list)
        for ticket, value in pool.finished():
            scores[tickets[ticket]].append(value)
    finally:
        pool.close()
    report = summarise(scores, mutants, full, args.secrets)
    report["seconds"] = round(time.monotonic() - started, 1)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report["summary"], indent=1))
    return 0 if report["summary"]["fair"] else 1


def summarise(scores, mutants, full, count):
    correct = {name: [sum(s.values()) for s in runs] for (kind, name), runs in scores.items() if kind == "correct"}
    total = sum(full.values())
    part_of = {m.id: m.part for m in mutants}
    per_mutant = {}
    for (kind, name), runs in scores.items():
        if kind != "mutant":
            continue
        values = [run[part_of[name]] for run in runs]
        common, times = collections.Counter(values).most_common(1)[0]
        per_mutant[name] = {"part": part_of[name], "scores": sorted(values), "usual": common,
                            "agreement": round(times / len(values), 3),
                            "killed_always": max(values) < full[part_of[name]]}
    agreements = [m["agreement"] for m in per_mutant.values()]
    summary = {
        "secrets": count,
        "correct_variants": len(correct),
        "correct_full_marks_under_every_secret": sorted(n for n, s in correct.items() if all(v == total for v in s)),
        "correct_short_of_full_marks": {n: s for n, s in correct.items() if any(v != total for v in s)},
        "mutants": len(per_mutant),
        "mutants_same_score_under_every_secret": sum(1 for a in agreements if a == 1.0),
        "mutants_same_score_under_95_percent": sum(1 for a in agreements if a >= AGREEMENT),
        "lowest_agreement": min(agreements, default=1.0),
        "least_agreeing": sorted(((a, n) for n, m in per_mutant.items() if (a := m["agreement"]) < 1.0))[:10],
    }
    summary["fair"] = not summary["correct_short_of_full_marks"] and summary["lowest_agreement"] >= AGREEMENT
    return {"summary": summary, "correct": correct, "mutants": per_mutant}


if __name__ == "__main__":
    sys.exit(main())
