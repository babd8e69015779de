"""Regenerate examples/submissions/ from the release notebook.

    .venv/bin/python examples/build_examples.py

Each example is the released notebook with some stubs filled in, the way a
student would: the reference solution, nothing, a typical bug, or code that
crashes or never returns. Run it again after `make release`.
"""
import ast
import json
import re
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RELEASE = REPO / "assignment" / "lab4_3" / "lab4_3.ipynb"
REFERENCE = REPO / "tests" / "corpora" / "correct" / "reference.py"
DEF = re.compile(r"^\s*def (\w+)\(")
STUBS = ("backward_propagation", "clip_gradients", "batch_normalize", "diagnose_gradient_health")

# Bugs students typically make, as (stub, reference line, replacement line).
BUGS = {
    "backward_propagation": ("dW = (1 / m) * np.dot(dZ, A_prev.T)", "dW = np.dot(dZ, A_prev.T)"),
    "clip_gradients": ("scale = max_norm / original_norm if original_norm > max_norm else 1.0",
                       "scale = max_norm / original_norm"),
    "batch_normalize": ("var = np.var(Z, axis=1, keepdims=True)", "var = np.var(Z, axis=1, keepdims=True, ddof=1)"),
    "diagnose_gradient_health": ("diagnosis['vanishing_layers'].append(l)",
                                 "diagnosis['vanishing_layers'].append(l - 1)"),
}

EXAMPLES = {
    "complete": {stub: "reference" for stub in STUBS},
    "partial": {"backward_propagation": "reference", "clip_gradients": "reference"},
    "typical_bugs": {stub: "bug" for stub in STUBS},
    "crashes": {"backward_propagation": "import os\nos._exit(1)", "clip_gradients": "reference",
                "batch_normalize": "reference", "diagnose_gradient_health": "import sys\nsys.exit('giving up')"},
    "loops_forever": {"backward_propagation": "reference", "clip_gradients": "reference",
                      "batch_normalize": "while True:\n    pass", "diagnose_gradient_health": "reference"},
}


def reference_bodies():
    """{stub: body source, dedented} from the reference solution."""
    source = REFERENCE.read_text()
    lines = source.splitlines(keepends=True)
    bodies = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and node.name in STUBS and node.name not in bodies:
            bodies[node.name] = textwrap.dedent("".join(lines[node.body[0].lineno - 1:node.end_lineno]))
    return bodies


def body_for(stub, choice, bodies):
    if choice == "reference":
        return bodies[stub]
    if choice == "bug":
        old, new = BUGS[stub]
        assert old in bodies[stub], f"{stub}: the bug's line is not in the reference"
        return bodies[stub].replace(old, new)
    return choice + "\n"


def fill(source, choices, bodies):
    """Replace each NotImplementedError placeholder with the body chosen for its function."""
    lines = source.splitlines(keepends=True)
    for at in reversed([i for i, line in enumerate(lines) if "raise NotImplementedError()" in line]):
        stub = next(DEF.match(lines[i]).group(1) for i in range(at, -1, -1) if DEF.match(lines[i]))
        if stub not in choices:
            continue
        indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
        first = at - 1 if lines[at - 1].strip() == "# YOUR CODE HERE" else at
        lines[first:at + 1] = [textwrap.indent(body_for(stub, choices[stub], bodies), indent)]
    return "".join(lines)


def build(name, choices, bodies):
    notebook = json.loads(RELEASE.read_text())
    for cell in notebook["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code":
            cell["source"] = fill(source, choices, bodies)
    out = HERE / "submissions" / f"{name}.ipynb"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")


def main():
    bodies = reference_bodies()
    for name, choices in EXAMPLES.items():
        build(name, choices, bodies)
    print(f"wrote {len(EXAMPLES)} examples to {HERE / 'submissions'}")


if __name__ == "__main__":
    main()
