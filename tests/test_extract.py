"""Definitions come out of cells without running demos; broken cells cost only themselves."""
from autograder.pipeline.extract import extract


def sources(cells):
    statements, problems = extract([{"index": i, "source": s} for i, s in enumerate(cells)])
    return [s["source"].strip() for s in statements], problems


def test_functions_classes_and_imports_are_kept_and_calls_are_dropped():
    kept, problems = sources(["import numpy as np\ndef f(x):\n    return x\nf(3)\nprint('hi')\n"
                              "class A:\n    pass\nmodel = train(100)\nEPS = 1e-8\n"])
    assert kept == ["import numpy as np", "def f(x):\n    return x", "class A:\n    pass", "EPS = 1e-8"]
    assert problems == []


def test_a_cell_with_a_syntax_error_is_reported_and_the_others_still_count():
    kept, problems = sources(["def good():\n    return 1\n", "def bad(:\n    pass\n"])
    assert kept == ["def good():\n    return 1"]
    assert len(problems) == 1 and "Cell 2" in problems[0] and "syntax error" in problems[0]


def test_ipython_magics_and_shell_lines_do_not_break_a_cell():
    kept, problems = sources(["%matplotlib inline\n!pip install numpy\ndef f():\n    return 2\n"])
    assert kept[-1] == "def f():\n    return 2" and problems == []


def test_line_numbers_point_into_the_cell():
    statements, _ = extract([{"index": 0, "source": "x = 1\n\n\ndef f():\n    return 1\n"}])
    assert statements[-1]["line"] == 4
    assert statements[-1]["source"].startswith("\n\n\n")


def test_decorators_stay_with_their_function():
    kept, _ = sources(["@staticmethod\ndef f():\n    return 1\n"])
    assert kept == ["@staticmethod\ndef f():\n    return 1"]


def test_lambdas_are_kept_because_calling_them_is_deferred():
    kept, _ = sources(["sigmoid = lambda z: 1 / (1 + np.exp(-z))\n"])
    assert kept == ["sigmoid = lambda z: 1 / (1 + np.exp(-z))"]


def test_assignments_from_demos_are_dropped_and_helper_constants_kept():
    kept, _ = sources(["plt.rcParams['figure.figsize'] = (10, 6)\nratio = norms[0] / norms[-1]\n"
                       "histories = [a, b]\nX_batch, y_batch = X[:, :10], y[:, :10]\n"
                       "EPS = 1e-8\nSIZES = {'small': (2, 3)}\nrelu = np.maximum\nact = sigmoid\n"])
    assert kept == ["EPS = 1e-8", "SIZES = {'small': (2, 3)}", "relu = np.maximum", "act = sigmoid"]
