"""Step 3 of the pipeline: take the definitions out of code cells.

Only what defines things is kept (imports, functions, classes, and
assignments that call nothing), one top-level statement at a time, so demos,
training runs and plots never run in the grader's workers, and a statement
that fails costs only what it defines. Source is parsed, never executed, here.
"""
import ast
import functools

try:  # Turns %magics and !shell lines into plain Python calls, which are then dropped.
    from IPython.core.inputtransformer2 import TransformerManager
    _TRANSFORMER = TransformerManager()
except ImportError:  # pragma: no cover - IPython comes with the pinned requirements
    _TRANSFORMER = None

CACHED_CELL_CHARS = 64 * 1024
DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def extract(cells):
    """Statements to run in the worker, and problems to report.

    cells: [{"index", "source", ...}]. Returns (statements, problems) where a
    statement is {"cell", "line", "source"} with the source padded by blank
    lines so tracebacks give line numbers within the cell.
    """
    statements, problems = [], []
    for cell in cells:
        source = cell["source"]
        # Large cells are rare and would crowd the cache: parsed each time.
        kept, error = (_definitions if len(source) <= CACHED_CELL_CHARS else _definitions.__wrapped__)(source)
        if error is not None:
            problems.append(f"Cell {cell['index'] + 1} has a syntax error at line {error[0]}: "
                            f"{error[1]}. Nothing in that cell could be graded.")
            continue
        statements.extend({"cell": cell["index"] + 1, "line": line, "source": text} for line, text in kept)
    return statements, problems


# A class shares most cells with the release (instructions, locked cells, untouched demos):
# each distinct cell text is parsed once per process, not once per student.
@functools.lru_cache(maxsize=4096)
def _definitions(source):
    """((line, padded source) of each kept statement, ...), and (line, message) of a syntax error."""
    try:
        tree = ast.parse(source)  # plain Python, the usual case: no need for IPython's slow pass
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        source = _transform(source)
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
            return (), (getattr(error, "lineno", None) or "?", getattr(error, "msg", error))
    lines = source.splitlines(keepends=True)
    kept = []
    for node in tree.body:
        if _keep(node):
            start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            kept.append((start, "\n" * (start - 1) + "".join(lines[start - 1:node.end_lineno])))
    return tuple(kept), None


def _transform(source):
    if _TRANSFORMER is None:
        return source
    try:
        return _TRANSFORMER.transform_cell(source)
    except Exception:  # a malformed magic: leave the source for ast to judge
        return source


def _keep(node):
    if isinstance(node, DEFINITIONS):
        return True
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
        return all(_is_names(t) for t in _targets(node)) and _is_constant_like(node.value)
    if isinstance(node, ast.Try):
        body = node.body + node.orelse + node.finalbody + [s for h in node.handlers for s in h.body]
        return all(isinstance(s, (ast.Import, ast.ImportFrom, ast.Pass)) or _keep(s) for s in body)
    return False


def _targets(node):
    return node.targets if isinstance(node, ast.Assign) else [node.target]


def _is_names(target):
    if isinstance(target, (ast.Tuple, ast.List)):
        return all(_is_names(t) for t in target.elts)
    return isinstance(target, ast.Name)


# Helpers students define by assignment: constants (EPS = 1e-8, tables of them), lambdas,
# aliases (act = sigmoid) and NumPy/math functions (relu = np.maximum). Anything else in an
# assignment (results of calls, indexing into data) belongs to a demo, which is not graded.
MODULE_ROOTS = ("np", "numpy", "math")


def _is_constant_like(value):
    if isinstance(value, (ast.Lambda, ast.Name)):
        return True
    if isinstance(value, ast.Attribute):
        root = value
        while isinstance(root, ast.Attribute):
            root = root.value
        return isinstance(root, ast.Name) and root.id in MODULE_ROOTS
    try:
        ast.literal_eval(value)
        return True
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
