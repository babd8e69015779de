"""The package's folders are its roles, and imports only run downward between them.

integrations and tools -> pipeline -> outputs -> checks -> sandbox -> references
-> config and the part manifest. A module may import its own role or a lower one;
a lower role importing a higher one would tie, say, the sandbox to nbgrader.
"""
import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "autograder"

# role -> rank; a module may import only modules of its own rank or lower.
RANKS = {
    "config": 0, "parts": 0, "mistakes": 0, "outcomes": 0, "secret": 0, "__init__": 0,
    "references": 1, "worker": 1,
    "sandbox": 2,
    "checks": 3,
    "outputs": 4,
    "pipeline": 5,
    "integrations": 6, "tools": 6,
    "cli": 7, "__main__": 7, "notebook": 7,
}


def role(module):
    """The role of a dotted module name inside autograder (autograder.pipeline.load -> pipeline)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        yield path, ".".join(p for p in rel.parts if p != "__init__")


def imported(path, module):
    """The autograder modules `path` imports, with relative imports made absolute."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            if base.startswith("autograder"):
                yield from ([f"{base}.{a.name}" for a in node.names] if base == "autograder" else [base])
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("autograder"))


def test_every_module_sits_in_a_folder_with_a_known_role():
    unknown = {module for _, module in modules() if role(module) not in RANKS}
    assert not unknown, f"give these a role in tests/test_layout.py and the README's layout: {unknown}"


@pytest.mark.parametrize("path,module", list(modules()), ids=lambda v: v if isinstance(v, str) else "")
def test_a_module_imports_only_its_own_role_or_lower_ones(path, module):
    upward = [name for name in imported(path, module)
              if RANKS.get(role(name), 0) > RANKS[role(module)]]
    assert not upward, f"{module} ({role(module)}) imports a higher role: {upward}"


# -- the code explains itself with files that exist -------------------------------------------------

REPO = PACKAGE.parent
CITED = re.compile(r"(?<![\w/.<-])((?:[\w.-]+/)+[\w.-]+\.(?:py|md|toml|ipynb|sh|txt|json))\b")
# Where outputs and scratch live: cited as patterns, not as files of the repository.
OUTPUT_PLACES = ("OUT/", "DIR/", "dist/", "grades/", "submitted/", "autograded/", "feedback/", "results/",
                 "state/", "bench/out",
                 # what `make wheel` writes into the student kit only (integrations/student_kit.py)
                 "autograder/data/recorded.json", "checks/withheld.py", "autograder/checks/withheld.py")


def citations(path):
    """(line, cited path) for each repository path a comment or docstring of `path` names."""
    for token in tokenize.generate_tokens(io.StringIO(path.read_text()).readline):
        docstring = token.type == tokenize.STRING and token.string.lstrip("rbuRBU")[:3] in ('"""', "'''")
        if token.type == tokenize.COMMENT or docstring:
            for found in CITED.finditer(token.string):
                yield token.start[0], found.group(1)


def missing_citations(paths):
    missing = []
    for path in paths:
        for line, cited in citations(path):
            if cited.startswith(OUTPUT_PLACES):
                continue
            if not any(p.exists() for p in (REPO / cited, PACKAGE / cited, path.parent / cited)):
                where = path.relative_to(REPO) if path.is_relative_to(REPO) else path
                missing.append(f"{where}:{line} cites {cited}")
    return missing


def test_no_comment_or_docstring_cites_a_file_that_is_not_in_the_repository():
    code = sorted([*PACKAGE.rglob("*.py"), *REPO.glob("tests/*.py"), *REPO.glob("bench/*.py")])
    assert not missing_citations(code)


def test_a_citation_of_a_missing_file_is_found(tmp_path):
    stray = tmp_path / "stray.py"
    stray.write_text('"""See docs/nowhere.md and autograder/config.py."""\n# and tests/test_gone.py\n')
    assert [m.split(" cites ")[1] for m in missing_citations([stray])] == ["docs/nowhere.md", "tests/test_gone.py"]
