"""What per-submission inputs cost: graded inputs (drawn from the secret and each file's code)
against the shared published inputs every submission was graded on before issue 22.

`python bench/run_bench.py --inputs` (part of the default `make bench` too). One grading
process (a warm Grader: TensorFlow, fork server), the synthetic class of bench/run_bench.py,
graded in interleaved rounds: shared inputs (Inputs(seed): the references and Hypothesis
examples are computed once and reused across the class), then per-submission inputs
(Inputs(seed, secret): nothing is shared). Per-submission seconds are the mean of each
submission's own grading time, so the process's start-up is left out of both.
Writes OUT/inputs.json.
"""
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_bench import REPO, corpus_sources  # noqa: E402

ROUNDS = 2


def run(out=REPO / "bench", rounds=ROUNDS):
    from autograder.pipeline.extract import extract
    from autograder.pipeline.grader import Grader
    from autograder.pipeline.inputs import Inputs
    from autograder.secret import Secret

    sources = [extract([{"index": 0, "source": s}])[0] for s in corpus_sources()]
    seconds = {"shared": [], "per_submission": []}
    with Grader.load(warm=True, plots=False) as grader:
        modes = {"shared": Inputs(grader.settings.seed),
                 "per_submission": Inputs(grader.settings.seed, Secret(b"\x42" * 32, "bench"))}
        grader.grade(sources[0])  # warm the caches a first submission fills in either mode
        for round_number in range(1, rounds + 1):
            for mode, inputs in modes.items():
                grader.inputs = inputs
                started = time.perf_counter()
                for statements in sources:
                    grader.grade(statements)
                per = (time.perf_counter() - started) / len(sources)
                seconds[mode].append(per)
                print(f"round {round_number}: {mode} inputs: {per:.3f} s per submission", flush=True)
    result = {"submissions": len(sources), "rounds": rounds,
              "shared_seconds_per_submission": round(statistics.fmean(seconds["shared"]), 3),
              "per_submission_seconds_per_submission": round(statistics.fmean(seconds["per_submission"]), 3)}
    result["ratio"] = round(result["per_submission_seconds_per_submission"]
                            / result["shared_seconds_per_submission"], 2)
    out.mkdir(exist_ok=True)
    (out / "inputs.json").write_text(json.dumps(result, indent=1) + "\n")
    print(f"per-submission inputs: {result['per_submission_seconds_per_submission']} s per submission, "
          f"shared inputs {result['shared_seconds_per_submission']} s: ratio {result['ratio']}")
    return result


if __name__ == "__main__":
    run()
