"""`make mutants`: generated mutants are distinct and compile, equivalence is decided by
evidence, and the gate fails when a check is weakened (in a temporary copy of the kit)."""
import ast
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from autograder import config
from autograder.pipeline.inputs import Inputs
from autograder.checks import load_parts
from autograder.outcomes import Outcome, Status
from autograder.parts import BY_ID, PARTS
from autograder.tools.mutants import equivalence, generate, grading, pipeline, report
from harness import REFERENCE, TESTS

LOADED = {part.id: part for part in load_parts()}
PART_IDS = {part.id for part in PARTS}

REPO = TESTS.parent
FAMILIES = ("arithmetic", "comparison", "constant", "axis", "keepdims", "transpose", "layer_index",
            "term_deletion", "argument_swap", "sign", "statement_deletion", "in_place")


@pytest.fixture(scope="module")
def mutants():
    return generate.generate(REFERENCE.read_text())


def stub_of(source, part):
    holder, name = generate.where(BY_ID[part])
    return ast.unparse(generate.find_stub(ast.parse(source), holder, name))


def test_there_are_at_least_300_distinct_compiling_mutants_across_the_four_stubs(mutants):
    assert len(mutants) >= 300
    assert {m.part for m in mutants} == PART_IDS
    assert len({m.stub_source for m in mutants}) == len(mutants)
    for mutant in mutants:
        compile(mutant.source, mutant.id, "exec")


def test_each_mutant_changes_its_own_stub_only(mutants):
    reference = REFERENCE.read_text()
    for mutant in mutants[::7]:
        for part in PART_IDS:
            changed = stub_of(mutant.source, part) != stub_of(reference, part)
            assert changed == (part == mutant.part), (mutant.id, part)


def test_the_operators_cover_the_mistakes_numpy_students_make(mutants):
    used = {m.operator for m in mutants}
    assert set(FAMILIES) <= used
    assert all(op in generate.ANCHORS for op in used)


def test_generation_is_the_same_every_time(mutants):
    again = generate.generate(REFERENCE.read_text())
    assert [(m.id, m.source) for m in again] == [(m.id, m.source) for m in mutants]


def test_a_sample_depends_only_on_the_seed(mutants):
    first = [m.id for m in pipeline.sample(mutants, 10, seed=1)]
    assert first == [m.id for m in pipeline.sample(mutants, 10, seed=1)]
    assert first != [m.id for m in pipeline.sample(mutants, 10, seed=2)]
    assert len(first) == 10 * len(PARTS)


def test_the_kits_own_solution_gives_the_same_mutants_as_the_test_reference(mutants):
    settings = config.load()
    grader = type("G", (), {"settings": settings, "release": _release(), "inputs": Inputs(settings.seed)})()
    from_notebook = generate.generate(pipeline.reference_source(grader))
    assert [(m.id, _code(m.stub_source)) for m in from_notebook] == [(m.id, _code(m.stub_source)) for m in mutants]


def _code(stub_source):
    """A stub's code without its docstring (the notebook's stubs have one, the test reference's not)."""
    function = ast.parse(stub_source).body[0]
    if ast.get_docstring(function) is not None:
        function.body = function.body[1:]
    return ast.unparse(function)


def _release():
    from autograder.pipeline import release

    return release.cells(config.load())


def outcome(part, name, status, mistake=""):
    return Outcome(part, name, status, "", mistake)


def test_a_mutant_is_classified_by_where_it_loses_points_and_by_status():
    FAILED, PASSED = Status.FAILED, Status.PASSED
    killed = grading.classify("part5", [outcome("part5", "a", FAILED), outcome("part2", "b", PASSED)])
    assert killed["status"] == "killed"
    leaked = grading.classify("part5", [outcome("part5", "a", FAILED), outcome("part2", "b", FAILED)])
    assert leaked["status"] == "leaked" and leaked["leaked_to"] == ["part2.b"]
    for stopped in (Status.TIMED_OUT, Status.CRASHED):
        assert grading.classify("part5", [outcome("part5", "a", stopped)])["status"] == "crashed"
    assert grading.classify("part5", [outcome("part5", "a", PASSED)])["status"] == "survived"
    not_run = grading.classify("part5", [outcome("part5", "a", FAILED), outcome("part5", "b", Status.NOT_RUN)])
    assert not_run["killed_by"] == ["a"]


def results_with(part, killed, survived, equivalent, minimum):
    rows = ([{"id": f"k{i}", "part": part, "status": "killed"} for i in range(killed)] +
            [{"id": f"s{i}", "part": part, "status": "survived"} for i in range(survived)] +
            [{"id": f"e{i}", "part": part, "status": "equivalent"} for i in range(equivalent)])
    grading_ = type("G", (), {"mutants": config.Mutants({part: minimum})})()
    return {"parts": report.part_counts(rows, grading_), "mutants": rows}


def test_the_gate_names_the_survivors_of_a_part_below_its_minimum():
    results = results_with("part5", killed=95, survived=3, equivalent=10, minimum=0.98)
    assert results["parts"]["part5"]["kill_rate"] == pytest.approx(95 / 98, abs=1e-4)
    assert pipeline.gate(results) == [("part5", results["parts"]["part5"]["kill_rate"], 0.98, ["s0", "s1", "s2"])]
    assert pipeline.gate(results_with("part5", killed=98, survived=1, equivalent=10, minimum=0.98)) == []


def test_equivalent_mutants_do_not_count_against_the_kill_rate():
    results = results_with("part9", killed=50, survived=0, equivalent=20, minimum=1.0)
    assert results["parts"]["part9"]["kill_rate"] == 1.0


@pytest.mark.parametrize("table, message", [
    ("[mutants]\nmin_kill_rat = 0.9\n", "min_kill_rat"),
    ("[mutants.min_kill_rate]\npart7 = 0.9\n", "part7"),
    ("[mutants.min_kill_rate]\npart2 = 1.5\n", "from 0 to 1"),
    ("[mutants]\nequivalence_inputs = 0\n", "from 1 to 10000"),
])
def test_a_bad_mutants_section_in_grading_toml_is_an_error(tmp_path, table, message):
    text = config.DEFAULT_PATH.read_text()
    text = text[:text.index("[mutants]")] + table
    path = tmp_path / "grading.toml"
    path.write_text(text)
    with pytest.raises(config.ConfigError, match=message):
        config.load(path)


def test_the_shipped_gate_asks_every_part_for_98_percent():
    rates = config.load().mutants.min_kill_rate
    assert rates == {part: 0.98 for part in PART_IDS}


def test_values_are_compared_with_the_graders_tolerances():
    a = np.array([[1.0, 2.0]])
    assert equivalence.same({"x": a, "n": 1.0}, {"x": a * (1 + 1e-9), "n": 1.0 + 1e-9})
    assert not equivalence.same({"x": a}, {"x": a * 1.01})
    assert not equivalence.same(a, a.astype(np.float32))
    assert not equivalence.same({"x": a}, {"y": a})
    assert equivalence.same(a, a * (1 + 5e-6), LOADED["part2"].equivalence.tolerance)
    assert not equivalence.same(a, a * (1 + 5e-6), LOADED["part6"].equivalence.tolerance)


def test_the_equivalence_inputs_start_with_the_edge_cases():
    labels = {part.id: [d.split(":")[0] for d, _ in equivalence.inputs(part, seed=1, count=2)]
              for part in LOADED.values()}
    assert {"one example", "square weight matrices", "constant feature", "zero gradients"} <= set(labels["part2"])
    assert {"zero gradients", "the defaults", "unknown clip_type"} <= set(labels["part5"])
    assert {"one example", "constant feature", "the last layer", "test mode"} <= set(labels["part6"])
    assert {"zero gradients", "one layer", "norms 0.1% from each threshold"} <= set(labels["part9"])


def test_a_known_survivor_is_explained_and_others_are_not(mutants):
    survivors = {part.id: part.survivors for part in LOADED.values()}
    explained = [m for m in mutants if report.explanation(m, survivors)]
    assert [m.part for m in explained] == ["part5"]
    assert "0/0" in report.explanation(explained[0], survivors)


# -- with the real grader -----------------------------------------------------------------------

# A reference with `x * 2` in it, so that `x + x` is a rewrite that must be found equivalent.
TIMES_TWO = REFERENCE.read_text().replace("key: g * scale for", "key: g * 2 * scale / 2 for")


def decide(harness, mutant_source):
    return grading.decide(harness.grader, "part5", grading.statements(mutant_source), grading.statements(TIMES_TWO),
                          seed=1, count=10)


def test_x_times_2_rewritten_as_x_plus_x_is_likely_equivalent(harness):
    assert "g * 2 * scale" in TIMES_TWO
    evidence = decide(harness, TIMES_TWO.replace("g * 2 * scale", "(g + g) * scale"))
    assert evidence["equivalent"], evidence
    assert evidence["tried"] >= 10


def test_a_wrong_rewrite_is_not_equivalent_and_comes_with_an_input(harness):
    evidence = decide(harness, TIMES_TWO.replace("g * 2 * scale", "(g + 2) * scale"))
    assert not evidence["equivalent"]
    assert evidence["input"] and evidence["expected"] != evidence["got"]


# -- the gate, on a weakened copy of the kit ----------------------------------------------------

SAMPLE = ["--parts", "part2", "part9", "--sample", "25", "--jobs", "2", "--reference", str(REFERENCE)]


def run_mutants(cwd, out):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-m", "autograder", "mutants", "--out", str(out), *SAMPLE],
                            cwd=cwd, capture_output=True, text=True, timeout=900, env=env)
    return result, json.loads((out / "results.json").read_text())


def weakened_copy(tmp_path):
    """The kit with part 2's gradient tolerance loosened and part 9's recommendations check emptied."""
    kit = tmp_path / "kit"
    shutil.copytree(REPO / "autograder", kit / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "grading.toml", kit / "grading.toml")
    shutil.copytree(REPO / "assignment", kit / "assignment")
    part2 = kit / "autograder" / "checks" / "part2_backprop.py"
    text = part2.read_text()
    assert "GRAD_RTOL = FD_RTOL" in text
    part2.write_text(text.replace("GRAD_RTOL = FD_RTOL", "GRAD_RTOL = 10.0").replace(
        "GRAD_ATOL_SCALE = 1e-6", "GRAD_ATOL_SCALE = 10.0"))
    part9 = kit / "autograder" / "checks" / "part9_diagnosis.py"
    text = part9.read_text()
    head = "def recommendations(student, ctx):\n"
    assert head in text
    part9.write_text(text.replace(head, head + "    return\n"))
    return kit


@pytest.mark.slow
def test_a_weakened_check_lowers_the_kill_rate_and_fails_the_gate(tmp_path):
    result, before = run_mutants(REPO, tmp_path / "before")
    assert result.returncode == 0, result.stderr[-2000:]
    assert before["parts"]["part2"]["leaked"] == before["parts"]["part9"]["leaked"] == 0
    result, after = run_mutants(weakened_copy(tmp_path), tmp_path / "after")
    assert result.returncode == 1, result.stderr[-2000:]
    for part in ("part2", "part9"):
        assert after["parts"][part]["kill_rate"] < before["parts"][part]["kill_rate"]
        assert f"GATE FAILED: {part}" in result.stderr
    survivor = next(m["id"] for m in after["mutants"] if m["status"] == "survived")
    assert survivor in result.stderr
    page = (tmp_path / "after" / "report.html").read_text()
    assert survivor in page and "http" not in page.replace("http://www.w3.org/2000/svg", "")


def test_asking_for_a_part_that_has_no_stub_is_a_grader_error_with_exit_code_2(tmp_path):
    result = subprocess.run([sys.executable, "-m", "autograder", "mutants", "--out", str(tmp_path),
                             "--parts", "part7"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert "no mutants" in result.stderr
