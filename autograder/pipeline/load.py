"""Step 1 of the pipeline: find submissions and read their code cells.

A PATH is a notebook, a .py file, a folder of them, or an nbgrader
`submitted/` tree (`<student>/<assignment>/<notebook>.ipynb`). The submission
id is the nbgrader student id where there is one, else the file's stem.
Nothing here runs student code: files are only parsed.
"""
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

MAX_FILE_BYTES = 64 * 1024 * 1024
PY_CELL_MARKER = re.compile(r"^# ?(%%|In\[.*\]:)", re.MULTILINE)


@dataclass
class Submission:
    id: str                 # as the course knows it: student id or file stem
    path: Path
    cells: list = field(default_factory=list)   # [{"index", "source", "nbgrader"}]
    problems: list = field(default_factory=list)  # why the file could not be read, for the student
    digest: str = ""        # sha256 of the file's bytes

    @property
    def safe_id(self):
        return safe_name(self.id)


def safe_name(text):
    """A file name for an id: no path separators, no leading dash or dot, no shell metacharacters."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", text).lstrip("-.") or "submission"
    if name != text:
        name = f"{name[:80]}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"
    return name[:100]


def discover(paths, assignment, notebook_name):
    """Every submission under `paths`, in a stable order, with unique ids."""
    found = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(_from_folder(path, assignment, notebook_name))
        elif path.exists():
            found.append((path.stem, path))
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
    submissions, seen = [], {}
    for sid, path in sorted(found, key=lambda item: (item[0], str(item[1]))):
        count = seen.get(sid, 0) + 1
        seen[sid] = count
        submissions.append(Submission(sid if count == 1 else f"{sid}-{count}", path))
    return submissions


def _from_folder(folder, assignment, notebook_name):
    # An nbgrader tree: <folder>/<student>/<assignment>/<notebook>.ipynb.
    tree = sorted(folder.glob(f"*/{assignment}/{notebook_name}"))
    if tree:
        return [(p.parent.parent.name, p) for p in tree if p.is_file()]
    files = sorted(p for p in folder.iterdir() if p.suffix in (".ipynb", ".py") and p.is_file())
    return [(p.stem, p) for p in files]


def read(submission):
    """Fill in the submission's cells, or its problems when the file is unusable."""
    path = submission.path
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            submission.problems.append(f"The file is {size // 2**20} MB; the grader reads at most "
                                       f"{MAX_FILE_BYTES // 2**20} MB.")
            return submission
        data = path.read_bytes()
    except OSError as error:
        submission.problems.append(f"The file could not be read: {error.strerror}.")
        return submission
    submission.digest = hashlib.sha256(data).hexdigest()
    if not data.strip():
        submission.problems.append("The file is empty.")
    elif path.suffix == ".py":
        submission.cells = _python_cells(data.decode("utf-8", "replace"))
    else:
        submission.cells = _notebook_cells(data, submission.problems)
    return submission


def _python_cells(text):
    # A script exported from the notebook keeps its cell markers; a plain file is one cell.
    starts = [m.start() for m in PY_CELL_MARKER.finditer(text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    bounds = starts + [len(text)]
    return [{"index": i, "source": text[a:b], "nbgrader": {}} for i, (a, b) in enumerate(zip(bounds, bounds[1:]))]


def _notebook_cells(data, problems):
    try:
        notebook = json.loads(data.decode("utf-8-sig", "replace"))  # -sig: an editor's byte order mark
    except ValueError as error:
        problems.append(f"The file is not valid JSON, so it is not a notebook Jupyter can open ({error}).")
        return []
    except RecursionError:  # "[[[[..." 100 000 deep: the parser's stack, not the batch, must give up
        problems.append("The file is not a notebook Jupyter can open (its JSON is nested too deeply).")
        return []
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        problems.append("The file is JSON but not a Jupyter notebook (it has no list of cells).")
        return []
    result = []
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str):
            continue
        metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        nbgrader = metadata.get("nbgrader") if isinstance(metadata.get("nbgrader"), dict) else {}
        if not isinstance(nbgrader.get("grade_id", ""), str):  # later used as a dictionary key
            nbgrader = {key: value for key, value in nbgrader.items() if key != "grade_id"}
        result.append({"index": index, "source": source, "nbgrader": nbgrader})
    return result
