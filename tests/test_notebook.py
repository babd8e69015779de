"""The solution notebook solutions/lab4_3/lab4_3.ipynb and the lab code it teaches.

Three groups, cheapest first:
- structure: the notebook's JSON and nbgrader metadata (points come from grading.toml);
- lab code: the fixed classes and functions, imported from
  tests/corpora/correct/reference.py (the notebook's definitions as a plain file) or, for
  the notebook-only helpers, compiled from the notebook's own definition (never its demos);
- slow: the whole notebook executed headless with nbclient.
"""
import ast
import copy
import importlib.util
import os
import re
import shutil
import sys
import time
import tomllib
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder.parts import PARTS

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = REPO / "solutions" / "lab4_3"
NOTEBOOK = NOTEBOOK_DIR / "lab4_3.ipynb"
REFERENCE = REPO / "tests" / "corpora" / "correct" / "reference.py"

# The four stubs: the function's name, the class holding it (None for a function), its part.
STUBS = {part.stub: (part.holder, part.id) for part in PARTS}
NUMPY_ONLY = "Use NumPy only: the autograder runs this function without TensorFlow."
FD_STEP = 1e-6
FD_RTOL = 1e-6


# -- helpers ------------------------------------------------------------------------------
def load_grading():
    return tomllib.loads((REPO / "grading.toml").read_text())


def load_notebook():
    return nbformat.read(NOTEBOOK, as_version=4)


def nbgrader(cell):
    return cell.metadata.get("nbgrader", {})


def code_cells(nb):
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def cell_by_grade_id(nb, grade_id):
    matches = [cell for cell in nb.cells if nbgrader(cell).get("grade_id") == grade_id]
    assert len(matches) == 1, f"expected one cell with grade_id {grade_id!r}, found {len(matches)}"
    return matches[0]


def is_test_cell(cell):
    return bool(nbgrader(cell).get("grade"))


def top_level_definitions(nb):
    """name -> (cell, ast node) for every top-level def/class in the notebook's code cells."""
    found = {}
    for cell in code_cells(nb):
        for node in ast.parse(cell.source).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                assert node.name not in found, f"{node.name} is defined twice in the notebook"
                found[node.name] = (cell, node)
    return found


def stub_node(nb, stub):
    holder, _ = STUBS[stub]
    cell, node = top_level_definitions(nb)[holder or stub]
    if holder is not None:
        methods = [n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == stub]
        assert len(methods) == 1, f"{holder}.{stub} is not defined exactly once"
        node = methods[0]
    return cell, node


def without_docstrings(tree):
    """A copy of an AST with the docstrings of every module, class and function removed."""
    tree = copy.deepcopy(tree)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


def import_reference():
    spec = importlib.util.spec_from_file_location("lab4_3_reference", REFERENCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def notebook_definition(nb, name, namespace):
    """Compile only the notebook's top-level definition `name` (no demo code) into namespace."""
    _, node = top_level_definitions(nb)[name]
    exec(compile(ast.Module(body=[node], type_ignores=[]), f"<notebook {name}>", "exec"), namespace)
    return namespace[name]


def lab_data():
    """The notebook's Part 3 data: (features, examples) float64, standardized with training statistics."""
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = make_classification(n_samples=1000, n_features=20, n_informative=15, n_redundant=5,
                               n_clusters_per_class=2, random_state=42)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    scaler = StandardScaler().fit(X_train)
    return (scaler.transform(X_train).T, y_train.reshape(1, -1).astype(np.float64),
            scaler.transform(X_test).T, y_test.reshape(1, -1).astype(np.float64))


def central_differences(network, X, Y, name, mode="train", h=FD_STEP):
    """d compute_cost / d network.parameters[name] by central finite differences (float64)."""
    param = network.parameters[name]
    grad = np.zeros_like(param)
    for index in np.ndindex(param.shape):
        original = param[index]
        param[index] = original + h
        plus = network.compute_cost(network.forward_propagation(X, mode=mode), Y)
        param[index] = original - h
        minus = network.compute_cost(network.forward_propagation(X, mode=mode), Y)
        param[index] = original
        grad[index] = (plus - minus) / (2 * h)
    return grad


def relative_error(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300)


def student_release(nb, path):
    """Write the student version of `nb` (solutions and hidden tests cleared, no outputs) to path."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions

    release = copy.deepcopy(nb)
    for preprocessor in (ClearSolutions(), ClearHiddenTests(), ClearOutput()):
        release, _ = preprocessor.preprocess(release, {})
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(release, path)
    return path


@pytest.fixture(scope="module")
def nb():
    return load_notebook()


@pytest.fixture(scope="module")
def ref():
    return import_reference()


# -- structure: nbgrader metadata ---------------------------------------------------------
def test_every_cell_has_nbgrader_metadata_with_a_unique_grade_id(nb):
    ids = [nbgrader(cell).get("grade_id") for cell in nb.cells]
    assert all(ids), "every cell needs nbgrader metadata with a grade_id"
    assert all(nbgrader(cell).get("schema_version") == 3 for cell in nb.cells)
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"duplicate grade_ids: {duplicates}"
    assert all(re.fullmatch(r"[a-zA-Z0-9_\-]+", i) for i in ids)


def test_nbgrader_accepts_the_notebook_metadata(nb):
    from nbgrader.nbgraderformat import MetadataValidator

    MetadataValidator().validate_nb(nb)


def test_each_graded_part_has_one_test_cell_worth_its_grading_toml_points(nb):
    grading = load_grading()
    test_cells = [cell for cell in nb.cells if is_test_cell(cell)]
    assert sorted(nbgrader(c)["grade_id"] for c in test_cells) == sorted(f"test_{p}" for p in grading["parts"])
    for cell in test_cells:
        meta = nbgrader(cell)
        part = meta["grade_id"].removeprefix("test_")
        assert cell.cell_type == "code"
        assert meta["points"] == grading["parts"][part]["points"], f"{part}: points differ from grading.toml"
        assert (meta["solution"], meta["locked"]) == (False, True)


def test_test_cells_call_check_part_and_hide_the_hidden_checks(nb):
    grading = load_grading()
    for part, info in grading["parts"].items():
        cell = cell_by_grade_id(nb, f"test_{part}")
        assert cell.source == (
            f"# Checks for {info['title']}. Run this cell to see your feedback.\n"
            "from autograder.notebook import check_part\n"
            f'check_part("{part}")\n'
            "### BEGIN HIDDEN TESTS\n"
            f'check_part("{part}", hidden=True)\n'
            "### END HIDDEN TESTS"
        )


def test_points_appear_only_in_the_test_cells_metadata(nb):
    for cell in nb.cells:
        if is_test_cell(cell):
            code = re.sub(r"part\d+", "", cell.source.split("\n", 1)[1])
            assert not re.search(r"\d", code), "a test cell's code must not hard-code points"
        elif "points" in nbgrader(cell):
            pytest.fail(f"{nbgrader(cell)['grade_id']} has points but is not a test cell")


def test_each_test_cell_follows_the_demo_of_its_part(nb):
    ids = [nbgrader(cell)["grade_id"] for cell in nb.cells]
    for part in load_grading()["parts"]:
        position = ids.index(f"test_{part}")
        before = [i for i in ids[:position] if i.startswith(f"{part}_")]
        after = [i for i in ids[position + 1:] if i.startswith(f"{part}_")]
        assert before and not after, f"test_{part} should come after every cell of {part}"


def test_the_stub_cells_are_exactly_the_solution_cells(nb):
    solution_cells = [cell for cell in nb.cells if nbgrader(cell).get("solution")]
    stub_cells = [stub_node(nb, stub)[0] for stub in STUBS]
    assert len(solution_cells) == len(STUBS)
    assert all(any(cell is stub for stub in stub_cells) for cell in solution_cells)
    for cell in solution_cells:
        meta = nbgrader(cell)
        assert cell.cell_type == "code"
        assert (meta["grade"], meta["locked"], meta.get("task", False)) == (False, False, False)


def test_every_other_cell_is_locked_and_not_graded(nb):
    for cell in nb.cells:
        meta = nbgrader(cell)
        if meta.get("solution") or is_test_cell(cell):
            continue
        assert (meta["locked"], meta["grade"], meta["solution"]) == (True, False, False), meta["grade_id"]


@pytest.mark.parametrize("stub", STUBS)
def test_each_stub_body_is_a_solution_region_after_its_contract_docstring(nb, stub):
    cell, node = stub_node(nb, stub)
    lines = cell.source.split("\n")
    begin = [i + 1 for i, line in enumerate(lines) if "### BEGIN SOLUTION" in line]
    end = [i + 1 for i, line in enumerate(lines) if "### END SOLUTION" in line]
    assert len(begin) == len(end) == 1, f"the cell of {stub} needs exactly one solution region"
    docstring = node.body[0]
    assert isinstance(docstring, ast.Expr) and isinstance(docstring.value.value, str)
    # docstring, then BEGIN, then the whole rest of the body, then END, then the next definition
    assert docstring.end_lineno < begin[0] < node.body[1].lineno, "BEGIN SOLUTION must follow the docstring"
    assert node.body[-1].end_lineno < end[0], "the whole body after the docstring is the solution"
    following = [n.lineno for n in ast.walk(ast.parse(cell.source))
                 if isinstance(n, ast.stmt) and n.lineno > node.body[-1].end_lineno]
    assert all(end[0] < n for n in following), "END SOLUTION must close the stub's own body"
    assert lines[begin[0] - 1].index("#") == node.body[1].col_offset, "BEGIN SOLUTION is indented as the body"
    text = ast.get_docstring(node)
    assert NUMPY_ONLY in text
    for phrase in ("float64",):
        assert phrase in text


def test_the_stub_docstrings_state_their_contracts(nb):
    doc = {stub: ast.get_docstring(stub_node(nb, stub)[1]) for stub in STUBS}
    for key in ("dW{l}", "db{l}", "(n_l, 1)", "gradient_norms['layer_{l}']", "dW_norm", "db_norm",
                "dZ_norm", "numbered from 1", "(features, examples)", "before the 1/m average",
                "dW{l} = dZ{l} A{l-1}.T / m", "Does not change self.parameters"):
        assert key in doc["backward_propagation"], key
    for key in ("global", "original_norm", "clipped_norm", "clip_ratio", "ValueError", "NaN",
                "Never modifies", "'value'", "tf.clip_by_global_norm"):
        assert key in doc["clip_gradients"], key
    for key in ("self.cache['Z_norm{l}']", "self.cache['mu{l}']", "self.cache['var{l}']",
                "self.running_mean[l]", "self.running_var[l]", "self.momentum", "biased variance",
                "'test'", "numbered from 1", "keras.layers.BatchNormalization", "Z.T"):
        assert key in doc["batch_normalize"], key
    for key in ("healthy_layers", "vanishing_layers", "exploding_layers", "recommendations",
                "flow_ratio", "gradient_norms", "float('inf')", "1-based", "exactly one list",
                "clipping", "fresh"):
        assert key in doc["diagnose_gradient_health"], key


def test_the_stub_cells_use_numpy_only(nb):
    for stub in STUBS:
        cell, _ = stub_node(nb, stub)
        names = {n.id for n in ast.walk(ast.parse(cell.source)) if isinstance(n, ast.Name)}
        imports = [n for n in ast.walk(ast.parse(cell.source)) if isinstance(n, (ast.Import, ast.ImportFrom))]
        assert not names & {"tf", "keras", "layers", "optimizers", "callbacks", "plt"}, stub
        assert not imports, f"the cell of {stub} should not import anything"


def test_the_notebook_defines_exactly_the_reference_code(nb):
    reference = ast.parse(REFERENCE.read_text())
    definitions = top_level_definitions(nb)
    for node in reference.body:
        if not isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            continue
        assert node.name in definitions, f"the notebook does not define {node.name}"
        ours = ast.dump(without_docstrings(definitions[node.name][1]))
        theirs = ast.dump(without_docstrings(node))
        assert ours == theirs, f"{node.name} differs from tests/corpora/correct/reference.py"


def test_the_student_release_replaces_only_the_solution_bodies(nb):
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

    release = copy.deepcopy(nb)
    for preprocessor in (ClearSolutions(), ClearHiddenTests()):
        release, _ = preprocessor.preprocess(release, {})
    source = "\n".join(cell.source for cell in code_cells(release))
    assert "BEGIN SOLUTION" not in source and "hidden=True" not in source
    for stub in STUBS:
        cell, node = stub_node(release, stub)
        assert NUMPY_ONLY in ast.get_docstring(node)
        body = node.body[1:]
        assert len(body) == 1 and isinstance(body[0], ast.Raise), f"{stub}: body should be the stub"
        assert ast.unparse(body[0]) == "raise NotImplementedError()"
    for part in load_grading()["parts"]:
        assert f'check_part("{part}")' in cell_by_grade_id(release, f"test_{part}").source


# -- structure: the seed's defects are gone -------------------------------------------------
def test_no_code_cell_has_a_bare_except(nb):
    for cell in code_cells(nb):
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.ExceptHandler):
                assert node.type is not None, f"bare except: in {nbgrader(cell)['grade_id']}"
                assert "Exception" not in ast.unparse(node.type), "catch the specific error"


def test_no_code_cell_uses_the_nonexistent_keras_clip_gradients(nb):
    for cell in code_cells(nb):
        assert "utils.clip_gradients" not in cell.source


def test_no_cell_silences_warnings_or_forces_a_matplotlib_backend(nb):
    for cell in code_cells(nb):
        assert "filterwarnings" not in cell.source
        assert "matplotlib.use" not in cell.source and "%matplotlib" not in cell.source


def test_part1_sets_seeds_and_silences_tensorflow_before_importing_it(nb):
    source = cell_by_grade_id(nb, "part1_imports").source
    assert source.index('os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"') < source.index("import tensorflow")
    for seed in ("np.random.seed(42)", "tf.random.set_seed(42)", "keras.utils.set_random_seed(42)"):
        assert seed in source
    assert "tf.clip_by_global_norm" in source and "global_clipnorm" in source


def test_part4_prints_the_amplification_ratio_first_over_last(nb):
    source = cell_by_grade_id(nb, "part4_exploding").source
    assert re.search(r"amplification_ratio = dW_norms_exp\[0\] / dW_norms_exp\[-1\]", source)
    assert not re.search(r"dW_norms_exp\[-1\]\s*/\s*dW_norms_exp\[0\]", source)
    assert "first/last" in source
    assert re.search(r"except \(FloatingPointError, OverflowError\)", source)
    assert "np.errstate(" in source


def test_part3_decay_ratio_is_first_over_last_too(nb):
    source = cell_by_grade_id(nb, "part3_vanishing").source
    assert re.search(r"decay_ratio = dW_norms\[0\] / dW_norms\[-1\]", source)
    assert not re.search(r"dW_norms\[-1\]\s*/\s*dW_norms\[0\]", source)
    assert "first/last" in source


def test_the_markdown_explains_stubs_checks_and_hidden_checks(nb):
    text = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    assert "NumPy only" in text
    assert "check cell" in text
    assert "hidden checks" in text.lower()


def test_part11_compares_the_numpy_code_with_tensorflow(nb):
    source = "\n".join(c.source for c in code_cells(nb) if nbgrader(c)["grade_id"].startswith("part11"))
    for api in ("tf.GradientTape", 'dtype="float64"', ".T, network.parameters[f'b{l}'].ravel()",
                "layers.BatchNormalization(momentum=", "training=True", "training=False",
                "moving_mean", "moving_variance", "global_clipnorm=5.0", "tf.clip_by_global_norm",
                "tf.clip_by_value", "callbacks.Callback", "set_yscale('log')"):
        assert api in source, api


# -- lab code: gradients -----------------------------------------------------------------
def _network_without_kinks(make, X_shape, seed):
    """Redraw inputs until no hidden pre-activation is within 1e-4 of ReLU's kink at 0."""
    rng = np.random.default_rng(seed)
    for _ in range(100):
        network = make(rng)
        X = rng.standard_normal(X_shape)
        Y = (rng.random((1, X_shape[1])) > 0.5).astype(np.float64)
        network.forward_propagation(X, mode="train")
        hidden = [network.cache[f"Z{l}"] for l in range(1, network.num_layers)]
        if min(np.min(np.abs(Z)) for Z in hidden) > 1e-4:
            return network, X, Y
    raise AssertionError("could not draw inputs away from the ReLU kink")


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_backward_propagation_agrees_with_central_finite_differences(ref, activation):
    def make(rng):
        np.random.seed(int(rng.integers(2**31)))
        return ref.DeepNeuralNetwork([4, 5, 3, 1], activation, "xavier")

    network, X, Y = _network_without_kinks(make, (4, 10), seed=1)
    network.forward_propagation(X)
    gradients = network.backward_propagation(X, Y)
    for name in list(network.parameters):
        numeric = central_differences(network, X, Y, name)
        assert relative_error(gradients[f"d{name}"], numeric) < FD_RTOL, name


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_batch_norm_network_gradients_agree_with_central_finite_differences(ref, activation):
    def make(rng):
        np.random.seed(int(rng.integers(2**31)))
        network = ref.BatchNormNetwork([4, 5, 3, 1], activation, "he")
        for l in range(1, network.num_layers):
            network.parameters[f"gamma{l}"] = rng.uniform(0.5, 1.5, (network.layer_dims[l], 1))
            network.parameters[f"beta{l}"] = rng.uniform(-0.5, 0.5, (network.layer_dims[l], 1))
        return network

    network, X, Y = _network_without_kinks(make, (4, 12), seed=2)
    network.forward_propagation(X, mode="train")
    gradients = network.backward_propagation(X, Y)
    L = network.num_layers
    assert {f"dgamma{l}" for l in range(1, L)} | {f"dbeta{l}" for l in range(1, L)} <= set(gradients)
    for name in list(network.parameters):
        numeric = central_differences(network, X, Y, name)
        if re.fullmatch(r"b\d+", name) and name != f"b{L}":
            # A bias feeding batch norm has a true gradient of 0: compare in absolute terms.
            assert np.max(np.abs(gradients[f"d{name}"])) < 1e-12, name
            assert np.max(np.abs(numeric)) < 1e-8, name
        else:
            assert relative_error(gradients[f"d{name}"], numeric) < FD_RTOL, name


def test_backward_propagation_leaves_the_parameters_unchanged(ref):
    np.random.seed(3)
    network = ref.DeepNeuralNetwork([4, 5, 3, 1], "tanh", "xavier")
    before = {k: v.copy() for k, v in network.parameters.items()}
    X = np.random.randn(4, 6)
    network.forward_propagation(X)
    network.backward_propagation(X, np.ones((1, 6)))
    assert all(np.array_equal(before[k], network.parameters[k]) for k in before)


# -- lab code: batch norm ----------------------------------------------------------------
def _full_batch_training(network, X, Y, epochs, learning_rate):
    for _ in range(epochs):
        network.forward_propagation(X, mode="train")
        for name, grad in network.backward_propagation(X, Y).items():
            network.parameters[name[1:]] -= learning_rate * grad


@pytest.mark.parametrize("activation, init_type, learning_rate", [
    ("sigmoid", "random", 0.1),   # the lab's vanishing-gradient baseline
    ("tanh", "xavier", 0.5),
])
def test_batch_norm_trains_at_least_as_well_as_the_same_network_without_it(ref, activation, init_type,
                                                                           learning_rate):
    X_train, y_train, _, _ = lab_data()
    costs = {}
    for use_batch_norm in (False, True):
        np.random.seed(42)
        network = ref.BatchNormNetwork([20, 30, 20, 10, 1], activation, init_type, use_batch_norm)
        _full_batch_training(network, X_train, y_train, epochs=100, learning_rate=learning_rate)
        # test mode first: evaluating in train mode updates the running statistics
        test_mode = network.compute_cost(network.forward_propagation(X_train, mode="test"), y_train)
        train_mode = network.compute_cost(network.forward_propagation(X_train, mode="train"), y_train)
        costs[use_batch_norm] = (float(test_mode), float(train_mode))
    assert costs[True][0] <= costs[False][0], f"test mode: with BN {costs[True]}, without {costs[False]}"
    assert costs[True][1] <= costs[False][1], f"train mode: with BN {costs[True]}, without {costs[False]}"


def test_test_mode_changes_neither_the_running_statistics_nor_the_parameters(ref):
    X_train, _, X_test, _ = lab_data()
    np.random.seed(0)
    network = ref.BatchNormNetwork([20, 8, 6, 1], "relu", "he")
    for _ in range(3):
        network.forward_propagation(X_train[:, :64], mode="train")
    means = {l: v.copy() for l, v in network.running_mean.items()}
    variances = {l: v.copy() for l, v in network.running_var.items()}
    parameters = {k: v.copy() for k, v in network.parameters.items()}
    network.forward_propagation(X_test, mode="test")
    assert all(np.array_equal(means[l], network.running_mean[l]) for l in means)
    assert all(np.array_equal(variances[l], network.running_var[l]) for l in variances)
    assert all(np.array_equal(parameters[k], network.parameters[k]) for k in parameters)
    assert not any(key.startswith(("Z_norm", "mu", "var")) for key in network.cache)


def test_train_mode_updates_the_running_statistics_with_momentum(ref):
    np.random.seed(0)
    network = ref.BatchNormNetwork([4, 3, 1], "relu", "he")
    Z = np.random.randn(3, 16) * 2 + 1
    network.batch_normalize(Z, 1, mode="train")
    np.testing.assert_allclose(network.running_mean[1], 0.1 * Z.mean(axis=1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(network.running_var[1], 0.9 + 0.1 * Z.var(axis=1, keepdims=True), rtol=1e-12)


def test_a_test_mode_prediction_does_not_depend_on_the_rest_of_the_batch(ref):
    X_train, _, X_test, _ = lab_data()
    np.random.seed(0)
    network = ref.BatchNormNetwork([20, 8, 6, 1], "relu", "he")
    network.forward_propagation(X_train, mode="train")
    alone = network.forward_propagation(X_test[:, :1], mode="test")
    in_batch = network.forward_propagation(X_test[:, :40], mode="test")[:, :1]
    np.testing.assert_allclose(alone, in_batch, rtol=1e-12)


# -- lab code: clipping --------------------------------------------------------------------
def test_clip_gradients_equals_tensorflow_clipping(ref):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    tf = pytest.importorskip("tensorflow")

    rng = np.random.default_rng(5)
    gradients = {"dW1": rng.normal(size=(5, 4)) * 3, "db1": rng.normal(size=(5, 1)),
                 "dW2": rng.normal(size=(1, 5)) * 10, "db2": rng.normal(size=(1, 1))}
    names = list(gradients)
    before = {k: v.copy() for k, v in gradients.items()}
    for max_norm in (0.5, 5.0, 1e3):   # clipped hard, clipped a little, untouched
        clipped, stats = ref.clip_gradients(gradients, max_norm=max_norm, clip_type="norm")
        expected, global_norm = tf.clip_by_global_norm([tf.constant(gradients[n]) for n in names], max_norm)
        for name, tensor in zip(names, expected):
            np.testing.assert_allclose(clipped[name], tensor.numpy(), rtol=1e-12, atol=0)
            assert clipped[name].dtype == np.float64
        assert stats["original_norm"] == pytest.approx(float(global_norm), rel=1e-12)
        assert stats["clipped_norm"] == pytest.approx(min(max_norm, float(global_norm)), rel=1e-12)
        assert stats["clip_ratio"] == pytest.approx(stats["clipped_norm"] / stats["original_norm"], rel=1e-12)
        clipped, _ = ref.clip_gradients(gradients, max_norm=max_norm, clip_type="value")
        for name in names:
            np.testing.assert_array_equal(clipped[name],
                                          tf.clip_by_value(gradients[name], -max_norm, max_norm).numpy())
    assert all(np.array_equal(before[k], gradients[k]) for k in names), "clip_gradients modified its input"


def test_clip_gradients_handles_zero_gradients_and_rejects_unknown_types(ref):
    zeros = {"dW1": np.zeros((3, 2)), "db1": np.zeros((3, 1))}
    clipped, stats = ref.clip_gradients(zeros, max_norm=1.0)
    assert all(np.array_equal(clipped[k], zeros[k]) for k in zeros)
    assert not any(np.isnan(v) for v in stats.values())
    with pytest.raises(ValueError):
        ref.clip_gradients(zeros, clip_type="l1")


# -- lab code: the notebook-only helpers (compiled from the notebook, demos excluded) ---------
def test_train_network_updates_gamma_and_beta_and_evaluates_in_test_mode(nb, ref):
    namespace = dict(vars(ref))
    train_network = notebook_definition(nb, "train_network", namespace)
    X_train, y_train, X_test, y_test = lab_data()
    np.random.seed(1)
    network = ref.BatchNormNetwork([20, 8, 6, 1], "relu", "he")
    twin = copy.deepcopy(network)
    learning_rate = 0.05
    history = train_network(network, X_train, y_train, X_test, y_test, epochs=1,
                            learning_rate=learning_rate, verbose=False)
    # The same step by hand: every parameter, gamma and beta included, moves by -lr * gradient.
    twin.forward_propagation(X_train, mode="train")
    gradients = twin.backward_propagation(X_train, y_train)
    for name, grad in gradients.items():
        expected = twin.parameters[name[1:]] - learning_rate * grad
        np.testing.assert_allclose(network.parameters[name[1:]], expected, rtol=1e-12, atol=1e-15)
    assert any(name.startswith("dgamma") for name in gradients)
    # Only the training batch moved the running statistics: the test set was evaluated in test mode.
    for l in twin.running_mean:
        np.testing.assert_array_equal(network.running_mean[l], twin.running_mean[l])
        np.testing.assert_array_equal(network.running_var[l], twin.running_var[l])
    expected_test_cost = network.compute_cost(network.forward_propagation(X_test, mode="test"), y_test)
    assert history["test_costs"][0] == pytest.approx(float(expected_test_cost), rel=1e-12)


def test_optimized_deep_network_really_trains(nb, ref):
    namespace = dict(vars(ref))
    OptimizedDeepNetwork = notebook_definition(nb, "OptimizedDeepNetwork", namespace)
    X_train, y_train, X_test, y_test = lab_data()
    np.random.seed(42)
    model = OptimizedDeepNetwork([20, 64, 32, 16, 8, 1], {"clip_norm": 0.5})
    cost_before, _ = model.evaluate(X_train, y_train)
    history = model.fit(X_train, y_train, epochs=5, X_val=X_test, Y_val=y_test, verbose=False)
    cost_after, accuracy_after = model.evaluate(X_train, y_train)
    assert cost_after < 0.75 * cost_before
    assert history["train_cost"][-1] < history["train_cost"][0]
    assert accuracy_after > 80
    assert history["learning_rate"][1] == pytest.approx(history["learning_rate"][0] * 0.9)
    assert sum(history["clipped_steps"]) > 0, "with clip_norm=0.5 some steps are clipped"
    assert any(not np.all(v == 1.0) for k, v in model.network.parameters.items() if k.startswith("gamma"))
    with pytest.raises(ValueError):
        OptimizedDeepNetwork([20, 1], {"dropout_rate": 0.2})


# -- slow: execute the notebook -------------------------------------------------------------
@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The solution notebook executed headless in a temporary copy of solutions/lab4_3/."""
    from nbclient import NotebookClient

    root = tmp_path_factory.mktemp("lab4_3")
    workdir = root / "lab4_3"
    shutil.copytree(NOTEBOOK_DIR, workdir)
    nb = nbformat.read(workdir / NOTEBOOK.name, as_version=4)
    # Without the variables that silence TensorFlow: the notebook must silence it by itself.
    quiet = ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS")
    env = dict({k: v for k, v in os.environ.items() if k not in quiet}, MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    # check_part grades inside the kit's classes, read from the student release: make
    # one from this very notebook, as `make release` would, so the test never sees a stale one.
    env["GRADLAB_RELEASE"] = str(student_release(nb, root / "release" / NOTEBOOK.name))
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(workdir)}})
    start = time.perf_counter()
    client.execute(env=env)
    seconds = time.perf_counter() - start
    print(f"\nsolution notebook executed in {seconds:.1f} s (python {sys.version.split()[0]})")
    return nb, seconds


def _outputs(cell):
    return cell.get("outputs", [])


def _text(cell):
    return "".join(o.get("text", "") for o in _outputs(cell) if o.output_type == "stream")


@pytest.mark.slow
def test_the_solution_notebook_executes_top_to_bottom_without_error_output(executed):
    nb, seconds = executed
    print(f"execution time: {seconds:.1f} s")
    for cell in code_cells(nb):
        grade_id = nbgrader(cell)["grade_id"]
        for output in _outputs(cell):
            assert output.output_type != "error", f"{grade_id}: {output.ename}: {output.evalue}"
            assert not (output.output_type == "stream" and output.name == "stderr"), \
                f"{grade_id} wrote to stderr: {output.text[:500]}"
        assert cell.execution_count is not None, f"{grade_id} did not run"


@pytest.mark.slow
def test_the_executed_notebook_shows_tensorflow_agreeing_with_numpy(executed):
    nb, _ = executed
    text = "\n".join(_text(c) for c in code_cells(nb) if nbgrader(c)["grade_id"].startswith("part11"))
    # Every number on a line that reports a difference, except the deliberate per-variable clipnorm contrast.
    differences = [number for line in text.splitlines()
                   if "difference" in line and "clips each variable" not in line
                   for number in re.findall(r"\d\.\d+e[-+]\d+", line)]
    assert len(differences) >= 15, text
    assert max(float(d) for d in differences) < 1e-12, text
    assert "largest |db| in front of a batch norm" in text
    # Every comparison ends in a verdict computed from the two results.
    assert text.count("✅ NumPy and TensorFlow agree") >= 10 and "❌" not in text, text


@pytest.mark.slow
def test_the_executed_notebook_reports_ratios_first_over_last_and_real_training(executed):
    nb, _ = executed
    part3 = _text(cell_by_grade_id(nb, "part3_vanishing"))
    part4 = _text(cell_by_grade_id(nb, "part4_exploding"))
    decay = float(re.search(r"decay ratio \(first/last[^:]*\): ([0-9.e+-]+)", part3).group(1))
    amplification = float(re.search(r"amplification ratio towards the input \(first/last[^:]*\): ([0-9.e+-]+)",
                                    part4).group(1))
    assert decay < 0.01 < 10 < amplification
    part10 = _text(cell_by_grade_id(nb, "part10_optimized"))
    before = float(re.search(r"Before training: train cost=([0-9.]+)", part10).group(1))
    after = [float(c) for c in re.findall(r"Epoch +\d+: .*train cost=([0-9.]+)", part10)]
    assert len(after) >= 5 and after[-1] < before
    assert re.search(r"Final test accuracy: \d+\.\d%", part10)


@pytest.mark.slow
def test_the_check_cells_give_the_solution_full_points(executed):
    nb, _ = executed
    grading = load_grading()
    for part, info in grading["parts"].items():
        cell = cell_by_grade_id(nb, f"test_{part}")
        results = [o for o in _outputs(cell) if o.output_type == "execute_result"]
        assert results, f"test_{part} shows no score"
        assert float(results[-1].data["text/plain"]) == pytest.approx(info["points"]), part
