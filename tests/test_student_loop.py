"""The student's loop (issue 14): what a student sees while filling the stubs.

- contracts: every check names the docstring sentence it grades, and that sentence is in
  the released stub's docstring, so no check grades an unstated rule;
- the clauses a plausible literal reading gets wrong have public checks (Part 6's two
  pass-through conditions, Part 9's recommendation for a healthy network);
- a timeout costs its own check: the part's independent behaviours keep their points;
- feedback: a plain header, the score once, "run the cell that defines ..." after a restart,
  and (slow) styles that hold under JupyterLab's own CSS in headless Chromium;
- demos: the Part 5 demo's verdicts come from the student's results.
"""
import ast
import contextlib
import io
import os
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder import config
from autograder.integrations import notebook
from autograder.checks import all_checks
from autograder.outcomes import Status
from autograder.parts import BY_ID
from harness import CORPORA, REFERENCE, corpus_source

REPO = Path(__file__).resolve().parent.parent
GRADING = config.load()
RELEASE = REPO / "assignment" / GRADING.assignment / GRADING.notebook
SOURCE = REPO / "solutions" / GRADING.assignment / GRADING.notebook
HOLDER = {"backward_propagation": "DeepNeuralNetwork", "batch_normalize": "BatchNormNetwork"}
CHROMIUM = Path("/usr/bin/chromium")


def words(text):
    return " ".join(text.split())


def released_docstring(stub):
    """The stub's docstring in the student release, whitespace collapsed."""
    for cell in nbformat.read(RELEASE, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        for node in ast.parse(cell.source).body:
            scope = [node]
            if isinstance(node, ast.ClassDef):
                if node.name != HOLDER.get(stub):
                    continue
                scope = node.body
            for item in scope:
                if isinstance(item, ast.FunctionDef) and item.name == stub:
                    return words(ast.get_docstring(item))
    raise AssertionError(f"{stub} is not in the release")


# -- contracts ---------------------------------------------------------------------------------

def test_every_check_names_the_contract_sentence_it_grades():
    assert [f"{c.part}.{c.name}" for c in all_checks() if len(c.contract.split()) < 5] == []


@pytest.mark.parametrize("check", all_checks(), ids=lambda c: f"{c.part}.{c.name}")
def test_each_contract_sentence_is_in_the_released_docstring_of_its_stub(check):
    assert words(check.contract) in released_docstring(BY_ID[check.part].stub)


def test_an_unstated_rule_is_caught():
    # The tie really compares: a sentence the docstring does not hold is not found.
    assert "recommendations may be empty" not in released_docstring("diagnose_gradient_health")


def test_each_part_keeps_its_total_points():
    points = {part: p.points for part, p in GRADING.parts.items()}
    assert points == {"part2": 10, "part5": 8, "part6": 10, "part9": 8}


# -- public checks for the clauses a literal reading gets wrong -----------------------------------

LITERAL_AND = '''
class BatchNormNetwork(BatchNormNetwork):
    def batch_normalize(self, Z, layer_num, mode='train'):
        # The contract read as one condition: pass Z through only for the last layer AND batch norm off.
        if layer_num == self.num_layers and self.use_batch_norm == False:
            return Z
        gamma, beta = self.parameters[f'gamma{layer_num}'], self.parameters[f'beta{layer_num}']
        if mode == 'train':
            mu, var = np.mean(Z, axis=1, keepdims=True), np.var(Z, axis=1, keepdims=True)
            self.cache[f'Z_norm{layer_num}'] = (Z - mu) / np.sqrt(var + self.epsilon)
            self.cache[f'mu{layer_num}'], self.cache[f'var{layer_num}'] = mu, var
            self.running_mean[layer_num] = self.momentum * self.running_mean[layer_num] + (1 - self.momentum) * mu
            self.running_var[layer_num] = self.momentum * self.running_var[layer_num] + (1 - self.momentum) * var
        else:
            mu, var = self.running_mean[layer_num], self.running_var[layer_num]
        return gamma * (Z - mu) / np.sqrt(var + self.epsilon) + beta
'''


def shifted_batch_normalize(factor):
    """A BatchNormNetwork whose batch_normalize output is the right one times `factor`."""
    return (LITERAL_AND.replace("layer_num == self.num_layers and self.use_batch_norm == False",
                                "layer_num == self.num_layers or not self.use_batch_norm")
            .replace("return gamma * (Z - mu) / np.sqrt(var + self.epsilon) + beta",
                     f"return (gamma * (Z - mu) / np.sqrt(var + self.epsilon) + beta) * {factor!r}"))


def public_failures(outcomes, part):
    hidden = {c.name for c in all_checks() if c.hidden}
    return {name: o for (p, name), o in outcomes.items() if p == part and not o.passed and name not in hidden}


def test_a_literal_and_in_batch_normalize_loses_public_points_for_each_pass_through_condition(harness):
    outcomes = harness.grade(REFERENCE.read_text() + LITERAL_AND, parts=["part6"])
    lost = public_failures(outcomes, "part6")
    assert set(lost) == {"last_layer_passes_z_through", "batch_norm_off_passes_z_through"}
    assert lost["last_layer_passes_z_through"].mistake == "last_layer_normalised"
    assert lost["batch_norm_off_passes_z_through"].mistake == "use_batch_norm_ignored"


def test_the_reference_passes_both_pass_through_checks(harness):
    outcomes = harness.grade(REFERENCE.read_text(), parts=["part6"])
    assert all(o.passed for o in outcomes.values())


HEALTHY_EMPTY = '''
_reference_diagnose = diagnose_gradient_health

def diagnose_gradient_health(network, X, Y, threshold_vanishing=0.01, threshold_exploding=100):
    diagnosis = _reference_diagnose(network, X, Y, threshold_vanishing, threshold_exploding)
    if not diagnosis['vanishing_layers'] and not diagnosis['exploding_layers']:
        diagnosis['recommendations'] = []
    return diagnosis
'''


def test_no_recommendation_for_a_healthy_network_loses_a_public_point_quoting_the_contract(harness):
    outcomes = harness.grade(REFERENCE.read_text() + HEALTHY_EMPTY, parts=["part9"])
    lost = public_failures(outcomes, "part9")
    assert list(lost) == ["healthy_network_recommendation"]
    check = next(c for c in all_checks() if c.name == "healthy_network_recommendation")
    assert f'"{check.contract}"' in lost["healthy_network_recommendation"].feedback
    # ...and only that point: the hidden advice check grades the advice, not the healthy case.
    assert [name for (_, name), o in outcomes.items() if not o.passed] == ["healthy_network_recommendation"]


def test_per_array_clipping_modifies_nothing_so_it_keeps_the_input_not_modified_point(harness):
    outcomes = harness.grade(corpus_source(REFERENCE, CORPORA / "mutants" / "part5_per_array_clipping.py"),
                             parts=["part5"])
    assert outcomes[("part5", "input_not_modified")].passed
    assert not outcomes[("part5", "norm_clipping")].passed


# -- timeouts ---------------------------------------------------------------------------------------

LOOP_IN_NORM = '''
_reference_clip = clip_gradients

def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    if clip_type == 'norm':
        while True:
            pass
    return _reference_clip(gradients, max_norm, clip_type)
'''


def test_a_loop_in_one_branch_costs_the_checks_that_reach_it_not_the_whole_part(harness):
    outcomes = harness.grade(REFERENCE.read_text() + LOOP_IN_NORM, parts=["part5"])
    passed = sorted(name for (_, name), o in outcomes.items() if o.passed)
    assert passed == ["unknown_clip_type", "value_clipping"]
    assert outcomes[("part5", "norm_clipping")].status is Status.TIMED_OUT
    assert not any(o.status in (Status.SKIPPED, Status.NOT_RUN) for o in outcomes.values())


# -- feedback in the notebook ------------------------------------------------------------------------

@pytest.fixture
def kernel_history(monkeypatch, tmp_path):
    """Pretend this kernel has run `source` as its only cell, in an empty folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)

    def ran(source):
        monkeypatch.setattr(notebook, "_executed_cells",
                            lambda: [{"index": 0, "source": source, "nbgrader": {}}])
    return ran


def test_the_header_says_plainly_what_passed_and_what_the_hidden_checks_add(kernel_history):
    kernel_history(REFERENCE.read_text())
    result = notebook.check_part("part5")
    public = [c for c in all_checks() if c.part == "part5" and not c.hidden]
    earned = sum(GRADING.parts["part5"].checks[c.name] for c in public)
    rest = GRADING.parts["part5"].points - earned
    assert result.header() == (f"public checks: {len(public)}/{len(public)} passed ({earned:g} of 8 points); "
                               f"{rest:g} more points from hidden checks at grading")
    bundle = result._repr_mimebundle_()
    assert bundle["text/plain"] == f"{earned:g}"  # what nbgrader reads: the score, once
    assert result.header() in bundle["text/html"].replace("&#x27;", "'")


def test_the_footer_names_the_checks_a_timeout_stopped(kernel_history):
    kernel_history(REFERENCE.read_text() + LOOP_IN_NORM)
    result = notebook.check_part("part5", hidden=True)
    assert "norm_clipping" in result._footer() and "All " not in result._footer()
    assert 0 < result.score < result.max_score


def test_a_stub_whose_cell_did_not_run_in_this_kernel_says_to_run_that_cell(kernel_history, tmp_path):
    # The notebook next to the kernel defines the stub, but this kernel never ran that cell.
    nbformat.write(nbformat.read(RELEASE, as_version=4), tmp_path / GRADING.notebook)
    kernel_history("x = 1")
    result = notebook.check_part("part2")
    assert all("run the cell that defines `backward_propagation` (Part 2) first" in row.feedback for row in result.rows)
    assert all(row.status is Status.SKIPPED for row in result.rows)
    (tmp_path / GRADING.notebook).unlink()
    kernel_history("y = 2")
    result = notebook.check_part("part2")
    assert all("run the cell that defines `backward_propagation` (Part 2) first" in row.feedback for row in result.rows)


def test_a_deleted_stub_cell_is_named_as_missing_from_the_notebook(kernel_history, tmp_path):
    release = nbformat.read(RELEASE, as_version=4)
    release.cells = [c for c in release.cells if "def clip_gradients(" not in c.source]
    nbformat.write(release, tmp_path / GRADING.notebook)
    kernel_history("x = 1")
    result = notebook.check_part("part5")
    assert all("is not defined in your notebook" in row.feedback for row in result.rows)


def test_a_phrase_is_never_put_in_code_quotes(harness):
    outcomes = harness.grade(REFERENCE.read_text() + shifted_batch_normalize(1.5), parts=["part6"])
    text = outcomes[("part6", "train_mode_matches_keras")].feedback
    assert text.startswith("The output of batch_normalize differs") and "`the output" not in text


# -- the Part 5 demo's verdicts come from the student's results ---------------------------------------

PER_TENSOR = (CORPORA / "mutants" / "part5_per_array_clipping.py").read_text()


def run_part5_demo(clip_source):
    """stdout of the source notebook's Part 5 demo, with `clip_source` as clip_gradients."""
    nb = nbformat.read(SOURCE, as_version=4)
    cells = {c.metadata.nbgrader["grade_id"]: c.source for c in nb.cells if c.cell_type == "code"}
    part4 = ast.parse(cells["part4_exploding"])
    exploding = next(n for n in part4.body if isinstance(n, ast.ClassDef))
    namespace = {"__name__": "lab"}
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        for source in (cells["part1_imports"], REFERENCE.read_text(), cells["part3_data"],
                       ast.unparse(exploding), clip_source, cells["part5_demo"]):
            exec(compile(source, "<lab>", "exec"), namespace)
    return stdout.getvalue()


@pytest.mark.slow
def test_the_part5_demo_prints_a_cross_for_per_tensor_clipping_and_ticks_for_the_reference():
    wrong = run_part5_demo(PER_TENSOR)
    assert "❌ norm clipping changed the direction" in wrong
    assert "❌ the global norm after clipping should be max_norm" in wrong
    assert "✅ norm clipping keeps the direction" not in wrong
    right = run_part5_demo("")  # the reference's clip_gradients
    assert "❌" not in right and right.count("✅") >= 5


# -- slow: the feedback under JupyterLab's own CSS, in headless Chromium --------------------------------

def lab_page(result, path):
    """The feedback as a test cell's output, through nbconvert's `lab` template (JupyterLab's CSS),
    next to a control: a bare <pre> and table as JupyterLab styles them."""
    from nbconvert import HTMLExporter

    nb = nbformat.v4.new_notebook()
    bundle = result._repr_mimebundle_()
    cell = nbformat.v4.new_code_cell('check_part("part6")', execution_count=1,
                                     outputs=[nbformat.v4.new_output("execute_result", bundle, execution_count=1)])
    control = "<table><tr><td id='control-td'>x</td></tr></table><pre id='control-pre'>0.24716</pre>"
    cell2 = nbformat.v4.new_code_cell("control", execution_count=2, outputs=[
        nbformat.v4.new_output("display_data", {"text/html": control, "text/plain": "control"})])
    nb.cells = [cell, cell2]
    html, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    path.write_text(html)
    return path


NUMBERS_ON_ONE_LINE = """() => {
  const split = [];
  for (const pre of document.querySelectorAll('.gradlab-feedback pre')) {
    const node = pre.firstChild, text = node.textContent;
    for (const match of text.matchAll(/-?\\d[\\d.e+-]*\\d/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      if (tops.size > 1) split.push(match[0]);
    }
  }
  return split;
}"""


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}")
def test_the_feedback_reads_well_under_jupyterlab_css_on_a_phone_screen(kernel_history, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    from test_browser import CHROMIUM_ARGS, PHONE

    # A real graded cell with long feedback (arrays, numbers): Part 6's output off by 0.01%.
    kernel_history(REFERENCE.read_text() + shifted_batch_normalize(1.0001))
    result = notebook.check_part("part6")
    assert result.score < 5
    page_path = lab_page(result, tmp_path / "feedback.html")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True,
            viewport=PHONE)
        page = context.new_page()
        page.goto(page_path.as_uri(), wait_until="load")
        style = lambda selector, prop: page.eval_on_selector_all(  # noqa: E731
            selector, f"els => els.map(e => getComputedStyle(e).getPropertyValue('{prop}'))")
        # The control shows the host CSS is JupyterLab's: right-aligned cells, break-all in <pre>.
        assert style("#control-td", "text-align") == ["right"]
        assert style("#control-pre", "word-break") == ["break-all"]
        # The feedback overrides both.
        texts = ".gradlab-feedback td, .gradlab-feedback th, .gradlab-feedback p, .gradlab-feedback pre"
        assert set(style(texts, "text-align")) == {"left"}
        assert "break-all" not in style(".gradlab-feedback *", "word-break")
        assert set(style(".gradlab-feedback pre", "white-space")) == {"pre-wrap"}
        assert all("mono" in font for font in style(".gradlab-feedback pre", "font-family"))
        assert len(style(".gradlab-feedback pre", "white-space")) >= 1  # a failed check shows its feedback
        assert page.evaluate(NUMBERS_ON_ONE_LINE) == []
        # Nothing wider than a phone: no sideways scrolling of the page or the feedback.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        widths = page.eval_on_selector(".gradlab-feedback", "e => [e.scrollWidth, e.clientWidth]")
        assert widths[0] <= widths[1]
        page.screenshot(path=str(tmp_path / "feedback.png"), full_page=True)
        context.close()


# -- slow: TensorFlow's start-up stays off the grader's terminal ---------------------------------------

TF_START_UP = re.compile(r"absl|oneDNN|TF_ENABLE_ONEDNN_OPTS|^[IWE]\d{4} |cuda|tensorflow",
                         re.IGNORECASE | re.MULTILINE)


@pytest.mark.slow
def test_grading_prints_nothing_from_tensorflows_start_up_even_without_its_variables_set(tmp_path):
    import subprocess
    import sys

    submission = tmp_path / "alice.py"
    submission.write_text(REFERENCE.read_text())
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS")}
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(submission), "--out",
                           str(tmp_path / "out"), "--jobs", "1"], env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    assert "graded 1/1: alice" in done.stderr  # the grader's own progress is there...
    assert not TF_START_UP.search(done.stderr), done.stderr  # ...TensorFlow's start-up is not


def notebook_function(grade_id, name):
    """A function defined in a source-notebook cell, compiled alone (none of the cell's demo code)."""
    cell = next(c for c in nbformat.read(SOURCE, as_version=4).cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    node = next(n for n in ast.parse(cell.source).body if isinstance(n, ast.FunctionDef) and n.name == name)
    namespace = {}
    exec(compile(ast.Module([node], []), f"<{grade_id}>", "exec"), namespace)
    return namespace[name]


def test_part11_gives_each_comparison_a_verdict_from_the_difference():
    agreement = notebook_function("part11_tape", "agreement")
    assert agreement(3e-16, "x").startswith("✅")
    assert agreement(0.0227, "norm clipping in clip_gradients (Part 5)") == \
        "❌ they differ by more than 1e-09: check norm clipping in clip_gradients (Part 5)"


def test_a_demo_names_the_part_to_complete_instead_of_failing_later():
    complete_first = notebook_function("part1_imports", "complete_first")

    def unfinished(*args):
        raise NotImplementedError()

    complete_first.__globals__.update(np=np, STUB_OF_PART={5: "clip_gradients"},
                                      _try_stub=lambda part: unfinished())
    with pytest.raises(NotImplementedError, match=r"^complete Part 5 first: .*`clip_gradients`"):
        complete_first(5)
    complete_first.__globals__["_try_stub"] = lambda part: None
    complete_first(5)  # finished: the demo goes on
