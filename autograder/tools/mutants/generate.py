"""Step 1: mutants of the reference, one change to one stub each.

Each operator looks at one node of a stub's syntax tree (Python's `ast`) and
proposes replacements for it; a mutant is the whole reference with that one
node replaced. Mutants that do not compile, that leave the stub's code
unchanged, or that duplicate another (same unparsed stub) are dropped, so
every mutant is distinct and runs. The order is the tree's walk order,
so the same reference always gives the same mutants with the same ids.

Where the operators come from (README "Mutation analysis" says the same):
  arithmetic, comparison, boolean, constant, unary ........ mutmut and cosmic-ray
  negate_condition ........................................ cosmic-ray (AddNot)
  statement_deletion, term_deletion (AOD), argument_swap .. the mutation literature
                                                            (Offutt's SDL/AOD, Delamaro's interface mutation)
  axis, keepdims, transpose, layer_index, numpy_function,
  call_dropped, in_place .................................. this kit: NumPy students' mistakes
"""
import ast
import copy
import difflib
import hashlib
import textwrap
from dataclasses import dataclass

from autograder.parts import PARTS


# Which anchor each operator comes from, shown in the report.
ANCHORS = {
    "arithmetic": "mutmut, cosmic-ray",
    "comparison": "mutmut, cosmic-ray",
    "boolean": "mutmut, cosmic-ray",
    "constant": "mutmut, cosmic-ray (NumberReplacer)",
    "unary": "mutmut, cosmic-ray",
    "negate_condition": "cosmic-ray (AddNot)",
    "statement_deletion": "literature (SDL: Deng, Offutt & Li 2013)",
    "term_deletion": "literature (AOD: arithmetic operator deletion)",
    "argument_swap": "literature (interface mutation: Delamaro et al. 2001)",
    "sign": "literature (sign flip, ABS/UOI: Offutt et al. 1996)",
    "axis": "this kit (NumPy)",
    "keepdims": "this kit (NumPy)",
    "transpose": "this kit (NumPy)",
    "layer_index": "this kit (NumPy)",
    "numpy_function": "this kit (NumPy)",
    "call_dropped": "this kit (NumPy)",
    "in_place": "this kit (NumPy)",
}

ARITHMETIC = {ast.Add: (ast.Sub, ast.Mult), ast.Sub: (ast.Add, ast.Div), ast.Mult: (ast.Div, ast.Add),
              ast.Div: (ast.Mult, ast.Sub, ast.FloorDiv), ast.Pow: (ast.Mult,), ast.FloorDiv: (ast.Div,),
              ast.MatMult: (ast.Mult,)}
COMPARISON = {ast.Lt: (ast.LtE, ast.Gt), ast.LtE: (ast.Lt, ast.GtE), ast.Gt: (ast.GtE, ast.Lt),
              ast.GtE: (ast.Gt, ast.LtE), ast.Eq: (ast.NotEq,), ast.NotEq: (ast.Eq,),
              ast.In: (ast.NotIn,), ast.NotIn: (ast.In,), ast.Is: (ast.IsNot,), ast.IsNot: (ast.Is,)}
NON_COMMUTATIVE = (ast.Sub, ast.Div, ast.Pow, ast.FloorDiv, ast.MatMult)
IN_PLACE_UFUNC = {ast.Add: "add", ast.Sub: "subtract", ast.Mult: "multiply", ast.Div: "divide"}
# NumPy functions students confuse with each other.
NUMPY_SWAPS = {"mean": ("sum", "median"), "sum": ("mean",), "var": ("std",), "std": ("var",),
               "max": ("min",), "min": ("max",), "dot": ("multiply",), "maximum": ("minimum",),
               "minimum": ("maximum",), "sqrt": ("square",)}
# One-argument calls whose dropping a student might write (the value without the call).
DROPPABLE_CALLS = {"sqrt", "float", "reversed", "abs", "squeeze", "list", "sorted"}
REDUCTIONS = {"sum", "mean", "var", "std", "max", "min"}


@dataclass(frozen=True)
class Mutant:
    id: str          # <part>-<operator>-<n>, stable for a given reference
    part: str
    stub: str
    operator: str
    line: int        # line of the changed node in the stub, 1 = its `def` line
    description: str
    diff: str        # unified diff of the stub, unparsed before and after
    stub_source: str  # the mutated stub, unparsed
    source: str      # the whole submission: the reference with this stub replaced


def where(row):
    """(the class holding the stub or None, the stub's name) for a manifest row, from its location."""
    entry, attribute = row.location
    return (entry, attribute) if attribute else (None, entry)


def generate(reference_source, parts=None):
    """Every distinct compiling mutant of the stubs of `parts` (part ids; default every part of the
    manifest), in a stable order."""
    module = ast.parse(reference_source)
    lines = reference_source.splitlines(keepends=True)
    mutants = []
    for row in PARTS:
        part = row.id
        if parts and part not in parts:
            continue
        holder, name = where(row)
        function = find_stub(module, holder, name)
        original = ast.unparse(function)
        seen = {original}
        counts = {}
        for index, operator, description, replacement in sites(function):
            mutated = apply(function, index, replacement)
            if mutated is None:
                continue
            try:
                text = ast.unparse(mutated)
            except Exception:  # a replacement ast cannot print is not a program
                continue
            if text in seen:
                continue
            source = splice(lines, function, text)
            try:
                compile(source, f"<mutant of {name}>", "exec")
            except (SyntaxError, ValueError):
                continue
            seen.add(text)
            counts[operator] = counts.get(operator, 0) + 1
            node = list(ast.walk(function))[index]
            line = getattr(node, "lineno", function.lineno) - function.lineno + 1
            mutants.append(Mutant(f"{part}-{operator}-{counts[operator]}", part, name, operator, line,
                                  description, unified_diff(original, text, name), text, source))
    return mutants


def find_stub(module, holder, name):
    body = module.body
    if holder is not None:
        classes = [n for n in body if isinstance(n, ast.ClassDef) and n.name == holder]
        if not classes:
            raise ValueError(f"the reference defines no class {holder}")
        body = classes[-1].body
    functions = [n for n in body if isinstance(n, ast.FunctionDef) and n.name == name]
    if not functions:
        raise ValueError(f"the reference defines no {holder + '.' if holder else ''}{name}")
    return functions[-1]


def splice(lines, function, text):
    """The reference with the lines of `function` replaced by `text`, indented as it was."""
    start = min([function.lineno] + [d.lineno for d in function.decorator_list]) - 1
    body = textwrap.indent(text, " " * function.col_offset) + "\n"
    return "".join(lines[:start]) + body + "".join(lines[function.end_lineno:])


def unified_diff(before, after, name):
    return "".join(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                        f"reference {name}", f"mutant {name}", n=1))


def fingerprint(mutants):
    """A short hash of the mutants' sources: results of another set must not be mixed in."""
    digest = hashlib.sha256()
    for mutant in mutants:
        digest.update(mutant.source.encode())
    return digest.hexdigest()[:16]


# -- applying one replacement ------------------------------------------------------

def apply(function, index, replacement):
    """A copy of `function` with its index-th node (ast.walk order) replaced.

    replacement: a node, or a list of statements (a statement replaced by several, or by
    none: then `pass` keeps the block valid)."""
    mutated = copy.deepcopy(function)
    nodes = list(ast.walk(mutated))
    target = nodes[index]
    for parent in nodes:
        for field, value in ast.iter_fields(parent):
            if value is target:
                if isinstance(replacement, list):
                    return None
                setattr(parent, field, copy.deepcopy(replacement))
                return ast.fix_missing_locations(mutated)
            if isinstance(value, list) and any(v is target for v in value):
                position = next(i for i, v in enumerate(value) if v is target)
                new = copy.deepcopy(replacement) if isinstance(replacement, list) else [copy.deepcopy(replacement)]
                value[position:position + 1] = new
                return ast.fix_missing_locations(mutated)
    return None


# -- where and how to mutate ---------------------------------------------------------

def sites(function):
    """(node index, operator, description, replacement) for every proposed change."""
    nodes = list(ast.walk(function))
    parents = {id(child): parent for parent in nodes for child in ast.iter_child_nodes(parent)}
    for index, node in enumerate(nodes):
        if node is function or _in_message(node, parents):
            continue
        for operator in OPERATORS:
            for description, replacement in operator(node, parents):
                yield index, operator.__name__, description, replacement


def _in_message(node, parents):
    """Inside a `raise`: an error message for people, not computation."""
    while id(node) in parents:
        node = parents[id(node)]
        if isinstance(node, ast.Raise):
            return True
    return False


def _src(node):
    return ast.unparse(node)


def arithmetic(node, parents):
    if isinstance(node, ast.BinOp) and type(node.op) in ARITHMETIC:
        for new in ARITHMETIC[type(node.op)]:
            yield f"`{_src(node)}`: {_op(node.op)} -> {_op(new())}", ast.BinOp(node.left, new(), node.right)
    if isinstance(node, ast.AugAssign) and type(node.op) in ARITHMETIC:
        for new in ARITHMETIC[type(node.op)]:
            yield f"`{_src(node)}`: {_op(node.op)}= -> {_op(new())}=", ast.AugAssign(node.target, new(), node.value)


def comparison(node, parents):
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in COMPARISON:
        for new in COMPARISON[type(node.ops[0])]:
            yield f"`{_src(node)}`: {_op(node.ops[0])} -> {_op(new())}", \
                ast.Compare(node.left, [new()], node.comparators)


def boolean(node, parents):
    if isinstance(node, ast.BoolOp):
        new = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        yield f"`{_src(node)}`: {'and -> or' if isinstance(new, ast.Or) else 'or -> and'}", ast.BoolOp(new, node.values)


def negate_condition(node, parents):
    if isinstance(node, (ast.If, ast.IfExp, ast.While)):
        test = node.test
        negated = test.operand if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) \
            else ast.UnaryOp(ast.Not(), test)
        changed = copy.copy(node)
        changed.test = negated
        yield f"condition `{_src(test)}` negated", changed


def constant(node, parents):
    if not (isinstance(node, ast.Constant) and type(node.value) in (int, float)):
        return
    value = node.value
    candidates = [value + 1, value - 1, value * 2, value / 2 if isinstance(value, float) else value // 2, 0]
    done = {value}
    for new in candidates:
        if type(value) is int:
            new = int(new)
        if new in done:
            continue
        done.add(new)
        yield f"constant {value!r} -> {new!r}", _number(new)


def _number(value):
    if value < 0:
        return ast.UnaryOp(ast.USub(), ast.Constant(-value))
    return ast.Constant(value)


def unary(node, parents):
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
        if isinstance(node.operand, ast.Constant):
            return  # a negative number: the constant operator covers it
        yield f"`{_src(node)}`: {_op(node.op).strip()} removed", node.operand


def sign(node, parents):
    """The value assigned or returned, negated."""
    if isinstance(node, ast.Assign) and isinstance(node.value, (ast.BinOp, ast.Call, ast.Name)):
        changed = copy.copy(node)
        changed.value = ast.UnaryOp(ast.USub(), node.value)
        yield f"`{_src(node.targets[0])}` negated", changed


def statement_deletion(node, parents):
    prose = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
    if isinstance(node, ast.stmt) and not isinstance(node, ast.Pass) and not prose:  # a docstring is no program
        parent = parents.get(id(node))
        body = next((v for f, v in ast.iter_fields(parent) if isinstance(v, list) and
                     any(x is node for x in v)), None) if parent is not None else None
        if body is None:
            return
        first = _src(node).splitlines()[0]
        yield f"statement `{first[:60]}` deleted", ([] if len(body) > 1 else [ast.Pass()])


def term_deletion(node, parents):
    """`a op b` -> `a` or `b`: an epsilon, a 1/m, a derivative factor left out; a call -> its argument."""
    if isinstance(node, ast.BinOp):
        yield f"`{_src(node)}` -> `{_src(node.left)}`", node.left
        yield f"`{_src(node)}` -> `{_src(node.right)}`", node.right


def call_dropped(node, parents):
    name = _call_name(node)
    if name in DROPPABLE_CALLS and len(node.args) == 1 and not node.keywords:
        yield f"`{name}(...)` dropped", node.args[0]


def numpy_function(node, parents):
    name = _call_name(node)
    if name in NUMPY_SWAPS and _is_numpy(node.func):
        for new in NUMPY_SWAPS[name]:
            changed = copy.deepcopy(node)
            changed.func.attr = new
            yield f"`np.{name}` -> `np.{new}`", changed


def axis(node, parents):
    name = _call_name(node)
    if name not in REDUCTIONS or not _is_numpy(node.func):
        return
    keywords = {k.arg: k for k in node.keywords}
    if "axis" in keywords:
        value = keywords["axis"].value
        others = [k for k in node.keywords if k.arg != "axis"]
        yield "`axis` dropped", ast.Call(node.func, node.args, others)
        if isinstance(value, ast.Constant) and value.value in (0, 1):
            flipped = ast.keyword("axis", ast.Constant(1 - value.value))
            yield f"`axis={value.value}` -> `axis={1 - value.value}`", \
                ast.Call(node.func, node.args, [flipped if k.arg == "axis" else k for k in node.keywords])
    else:
        for a in (0, 1):
            yield f"`axis={a}` added", ast.Call(node.func, node.args,
                                                node.keywords + [ast.keyword("axis", ast.Constant(a))])


def keepdims(node, parents):
    name = _call_name(node)
    if name in REDUCTIONS and any(k.arg == "keepdims" for k in node.keywords):
        yield "`keepdims` dropped", ast.Call(node.func, node.args, [k for k in node.keywords if k.arg != "keepdims"])


def transpose(node, parents):
    if isinstance(node, ast.Attribute) and node.attr == "T" and isinstance(node.ctx, ast.Load):
        yield f"`.T` dropped from `{_src(node)}`", node.value
    if _call_name(node) == "dot" and len(node.args) == 2:
        for i, arg in enumerate(node.args):
            if not (isinstance(arg, ast.Attribute) and arg.attr == "T"):
                args = list(node.args)
                args[i] = ast.Attribute(arg, "T", ast.Load())
                yield f"`.T` added to `{_src(arg)}`", ast.Call(node.func, args, node.keywords)


def layer_index(node, parents):
    """`f'W{l}'` -> `f'W{l - 1}'` / `f'W{l + 1}'`: the layer off by one."""
    if isinstance(node, ast.FormattedValue) and isinstance(parents.get(id(node)), ast.JoinedStr):
        for op, text in ((ast.Sub, "- 1"), (ast.Add, "+ 1")):
            changed = copy.copy(node)
            changed.value = ast.BinOp(node.value, op(), ast.Constant(1))
            yield f"layer `{{{_src(node.value)}}}` -> `{{{_src(node.value)} {text}}}`", changed


def argument_swap(node, parents):
    if isinstance(node, ast.Call) and len(node.args) >= 2:
        args = list(node.args)
        args[0], args[1] = args[1], args[0]
        yield f"arguments of `{_src(node.func)}` swapped", ast.Call(node.func, args, node.keywords)
    if isinstance(node, ast.BinOp) and isinstance(node.op, NON_COMMUTATIVE):
        yield f"operands of `{_src(node)}` swapped", ast.BinOp(node.right, node.op, node.left)
    if isinstance(node, ast.Tuple) and len(node.elts) == 2 and isinstance(node.ctx, ast.Load):
        yield f"`{_src(node)}` swapped", ast.Tuple(node.elts[::-1], ast.Load())


def in_place(node, parents):
    """`a * b` -> `np.multiply(a, b, out=a)`: the input array updated instead of a new one."""
    if isinstance(node, ast.BinOp) and type(node.op) in IN_PLACE_UFUNC and \
            isinstance(node.left, (ast.Name, ast.Subscript, ast.Attribute)):
        ufunc = IN_PLACE_UFUNC[type(node.op)]
        out = copy.deepcopy(node.left)
        yield f"`{_src(node)}` computed in place into `{_src(node.left)}`", ast.Call(
            ast.Attribute(ast.Name("np", ast.Load()), ufunc, ast.Load()), [node.left, node.right],
            [ast.keyword("out", out)])


def _call_name(node):
    if not isinstance(node, ast.Call):
        return None
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    if isinstance(node.func, ast.Name):
        return node.func.id
    return None


def _is_numpy(func):
    root = func
    while isinstance(root, ast.Attribute):
        root = root.value
    return isinstance(root, ast.Name) and root.id in ("np", "numpy")


def _op(op):
    return {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.FloorDiv: "//",
            ast.MatMult: "@", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
            ast.NotEq: "!=", ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not",
            ast.USub: "-", ast.Not: "not "}[type(op)]


OPERATORS = (arithmetic, comparison, boolean, negate_condition, constant, unary, sign, statement_deletion,
             term_deletion, call_dropped, numpy_function, axis, keepdims, transpose, layer_index,
             argument_swap, in_place)
