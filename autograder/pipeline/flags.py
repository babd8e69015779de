"""Large literal tables in a submission's definitions: a reason for the TA to look.

A stub that looks its answers up rather than computing them has to carry them: a long
string or bytes literal (an encoded table), or a display of many numbers. Nothing in the
lab needs either (docstrings aside), so each is flagged for the TA in the staff-side
record (outcomes.FLAG_LITERAL_BLOB). A flag costs no points: like the similarity report,
it says where to look, and the grade stands on what the code computes on inputs drawn for
it (pipeline/inputs.py). Nothing here runs student code: it reads the parsed source.
"""
import ast

from autograder.outcomes import FLAG_LITERAL_BLOB

# Well above what the lab's own code holds (its longest advice sentence is about 100 characters,
# its largest numeric display a handful of thresholds), far below any table of answers (tens of kB).
LONG_LITERAL = 1024   # characters (or bytes) of one string or bytes literal
LONG_STRINGS = 2048   # characters of the strings in one display (a long string cut into short ones)
MANY_NUMBERS = 64     # numeric literals in one list, tuple, set or dict display, nested ones included


def literal_blobs(statements):
    """[{"kind", "check", "message"}], one per large literal found in `statements`."""
    found = []
    for statement in statements:
        try:
            tree = ast.parse(statement["source"])
        except (SyntaxError, ValueError):
            continue  # extraction keeps only what parses; nothing to read otherwise
        docstrings = _docstrings(tree)
        inside = set()
        for node in ast.walk(tree):
            size = _size(node, docstrings, inside)
            if size:
                where = f"cell {statement.get('cell')}, line {statement.get('line', 1) + node.lineno - 1}"
                found.append({"kind": FLAG_LITERAL_BLOB, "check": "",
                              "message": f"{where}: {size} in {_owner(tree)}: possibly a table of answers."})
    return found


def _size(node, docstrings, inside):
    """What makes `node` a large literal ("a string literal of 3000 characters"), else ""."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)) and id(node) not in docstrings:
        if len(node.value) >= LONG_LITERAL:
            kind = "string" if isinstance(node.value, str) else "bytes"
            return f"a {kind} literal of {len(node.value)} characters"
    if isinstance(node, (ast.List, ast.Tuple, ast.Set, ast.Dict)) and id(node) not in inside:
        numbers = characters = 0
        for child in ast.walk(node):
            if child is not node and isinstance(child, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
                inside.add(id(child))  # counted with the outermost display, not again on its own
            if isinstance(child, ast.Constant) and type(child.value) in (int, float, complex):
                numbers += 1
            elif isinstance(child, ast.Constant) and isinstance(child.value, (str, bytes)):
                characters += len(child.value)
        if numbers >= MANY_NUMBERS:
            return f"a literal table of {numbers} numbers"
        if characters >= LONG_STRINGS:
            return f"a literal table of strings, {characters} characters in all"
    return ""


def _docstrings(tree):
    """ids of the docstring nodes of the module, classes and functions in `tree`."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                found.add(id(first.value))
    return found


def _owner(tree):
    """The name a statement defines ("`clip_gradients`"), for the message."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return f"`{node.name}`"
        if isinstance(node, ast.Assign) and node.targets and isinstance(node.targets[0], ast.Name):
            return f"`{node.targets[0].id}`"
    return "a definition"
