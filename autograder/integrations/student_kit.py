"""The student kit: the staff package, less what would hand over the solutions.

`make wheel` (integrations/wheel.py) builds the students' wheel from a staged copy of
the autograder package and calls `make_student_kit` on it, which
  1. records what the public self-checks need from the references: the public checks
     run on the kit's own solution, then on its one-change mutants (tools/mutants, so
     that the failing paths' questions are recorded too: the truth a hint compares
     with, the inputs Hypothesis shrinks to), with the published seed, through a
     Recorder (references/recorded.py); the table goes to autograder/data/recorded.json;
  2. replaces each part's references module by stand-ins that answer from that table:
     no function that computes a stub's contract ships (docs/design.md, principle 8);
  3. strips the hidden checks, and the helpers only they use, from each part's checks
     module, and names them in autograder/checks/withheld.py, so grading.toml's points
     still add up and the notebook can say what grading adds. Hidden checks grade on
     inputs drawn from the course's secret anyway; their code need not ship.
The staff kit (the checkout, the Gradescope zip) is the package as it is.
"""
import ast
import json
import re
from pathlib import Path

from autograder import config
from autograder.checks import load_parts
from autograder.mistakes import Mistakes
from autograder.pipeline import extract, release
from autograder.pipeline.grader import Grader
from autograder.pipeline.load import Submission
from autograder.pipeline.prepare import prepare
from autograder.references.recorded import TABLE, Recorder
from autograder.tools.mutants import generate

# Module attributes the loader reads by name (checks/__init__.py): never stripped as unused.
DECLARED = ("EQUIVALENCE", "PROBE", "KIT_CODE", "SURVIVORS", "MISTAKES")


def make_student_kit(package, grading_path=config.DEFAULT_PATH):
    """Turn `package` (a staged copy of autograder/) into the student kit, in place."""
    package = Path(package)
    parts = load_parts()
    table = record(grading_path, parts)
    (package / "data").mkdir(exist_ok=True)
    (package / "data" / TABLE).write_text(json.dumps(table, sort_keys=True, separators=(",", ":")),
                                          encoding="utf-8")
    withheld = {}
    for part in parts:
        module = part.row.checks
        references = __import__(f"autograder.references.{module}", fromlist=["_"])
        (package / "references" / f"{module}.py").write_text(standin_source(references), encoding="utf-8")
        checks_path = package / "checks" / f"{module}.py"
        hidden = [c.name for c in part.checks if c.hidden]
        checks_path.write_text(without_hidden_checks(checks_path.read_text(encoding="utf-8"), package),
                               encoding="utf-8")
        if hidden:
            withheld[part.id] = tuple(hidden)
    (package / "checks" / "withheld.py").write_text(
        '"""The hidden checks this student kit leaves out (integrations/student_kit.py): they run at grading."""\n'
        f"WITHHELD = {withheld!r}\n", encoding="utf-8")
    return table


# -- 1. recording ---------------------------------------------------------------------------

def record(grading_path, parts):
    """{reference name: {inputs key: encoded result}} for the public checks on the kit's solution."""
    replays = {}
    for part in parts:
        for varied in part.mistakes.varies:
            replays[varied.__wrapped__] = [entry.wrong for entry in part.mistakes.replayable()]
    with Grader.load(grading_path, warm=True, plots=False) as grader:  # warm: a fork server for the mutants
        solution = prepare(Submission("solution", release.solution_path(grader.settings)), grader)
        if solution.problems:
            raise ValueError(f"the kit's solution cannot be graded: {' '.join(solution.problems)}")
        recorder = Recorder(replays)
        grader.memo = recorder
        graded = grader.grade(solution.statements, hidden=False)
        failed = [f"{o.part}.{o.name}" for o in graded.outcomes if not o.passed]
        if failed:
            raise ValueError(f"the kit's solution fails its own public checks ({', '.join(failed)}): "
                             f"the recorded answers would be wrong")
        # A failing check asks the references more than a passing one (the truth its mistakes vary,
        # the inputs Hypothesis shrinks to): the solution's one-change mutants walk those paths.
        source = "\n\n".join(statement["source"] for statement in solution.statements)
        for mutant in generate.generate(source):
            grader.grade(extract.extract([{"index": 0, "source": mutant.source}])[0], parts=[mutant.part],
                         hidden=False)
    return recorder.table


# -- 2. stand-ins for a part's references -----------------------------------------------------

def standin_source(module):
    """The text of the student kit's `module`: its memoised references as stand-ins, its
    mistakes table with recorded replays, and its plain constants; nothing that computes."""
    names = {id(value): name for name, value in vars(module).items()}
    lines = [f'"""{module.__name__} in the student kit: recorded answers for the published inputs',
             'only (autograder/references/recorded.py). The staff kit computes them."""',
             "from autograder.mistakes import Mistake, Mistakes",
             "from autograder.references.recorded import recorded", ""]
    for name, value in vars(module).items():
        if name.startswith("__"):
            continue
        if callable(value) and getattr(value, "memoised", False):
            lines.append(f"{name} = recorded({_qualified(value)!r})")
        elif isinstance(value, Mistakes):
            lines.append(_mistakes_source(name, value, names))
        elif _is_literal(value):
            lines.append(f"{name} = {value!r}")
    return "\n".join(lines) + "\n"


def _mistakes_source(name, table, names):
    entries = []
    for entry in table.values():
        wrong = f"recorded({_qualified(entry.wrong)!r}, None)" if entry.wrong is not None else "None"
        entries.append(f"    Mistake({entry.id!r}, {entry.hint!r}, {wrong}, {entry.summary!r}),")
    varies = ", ".join(names[id(f)] for f in table.varies if id(f) in names)
    return f"{name} = Mistakes(\n" + "\n".join(entries) + f"\n    varies=({varies}{',' if varies else ''}),\n)"


def _qualified(function):
    inner = getattr(function, "__wrapped__", function)
    return f"{inner.__module__}.{inner.__qualname__}"


def _is_literal(value):
    """True for plain data that reads back the same from its repr (numbers, strings, tuples...)."""
    if callable(value) or type(value).__module__ != "builtins":
        return False
    try:
        return ast.literal_eval(repr(value)) == value
    except (ValueError, SyntaxError, TypeError, RecursionError):
        return False


# -- 3. the hidden checks left out -------------------------------------------------------------

def without_hidden_checks(source, package):
    """`source` (a checks module) without its hidden checks and the top-level definitions that only
    they used. A public name another module of `package` mentions stays; a private one (`_name`)
    is the module's own."""
    tree = ast.parse(source)
    drop = [node for node in tree.body if is_hidden_check(node)]
    kept = [node for node in tree.body if node not in drop]
    others = "\n".join(p.read_text(encoding="utf-8") for p in Path(package).rglob("*.py")
                       if p.read_text(encoding="utf-8") != source)
    while True:
        used = _names_used(kept)
        unused = [node for node in kept if _defined(node) and not _is_check(node)
                  and not _defined(node) & (used | set(DECLARED))
                  and not any(_named_elsewhere(name, others) for name in _defined(node))]
        if not unused:
            break
        drop += unused
        kept = [node for node in kept if node not in unused]
    lines = source.splitlines(keepends=True)
    for node in sorted(drop, key=lambda n: n.lineno, reverse=True):
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        del lines[start - 1:node.end_lineno]
    return "".join(lines)


def _named_elsewhere(name, others):
    return not name.startswith("_") and re.search(rf"\b{re.escape(name)}\b", others) is not None


def _check_decorator(node):
    """The `@check(...)` call decorating `node`, else None."""
    for decorator in getattr(node, "decorator_list", []):
        if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", "") == "check":
            return decorator
    return None


def _is_check(node):
    return _check_decorator(node) is not None


def is_hidden_check(node):
    """True for a top-level `@check(..., hidden=True)` function."""
    decorator = _check_decorator(node)
    return decorator is not None and any(
        keyword.arg == "hidden" and isinstance(keyword.value, ast.Constant) and keyword.value.value
        for keyword in decorator.keywords)


def _defined(node):
    """The top-level names `node` defines (functions, classes, assigned names)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return {t.id for target in targets for t in ast.walk(target) if isinstance(t, ast.Name)}
    return set()


def _names_used(nodes):
    """Every name read in `nodes`, other than by the definition that makes it (recursion keeps
    nothing alive on its own)."""
    used = set()
    for node in nodes:
        names = set()
        for child in ast.walk(node):
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
                names.add(child.id)
            elif isinstance(child, ast.Attribute):
                names.add(child.attr)
        used |= names - _defined(node)
    return used
