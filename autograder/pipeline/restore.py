"""Step 2 of the pipeline: restore the cells a student may not change.

As nbgrader's OverwriteCells does, a locked cell takes its source from the
release whatever the student did to it. Test cells are dropped: the grader
runs its own checks, so nothing a student writes in a test cell runs.
"""


def is_test_cell(nbgrader):
    return bool(nbgrader.get("grade")) and not nbgrader.get("solution")


def restore(cells, release_cells):
    """The student's code cells with locked cells restored and test cells removed.

    cells, release_cells: [{"index", "source", "nbgrader"}] as load.read gives.
    Returns (cells, notes): notes tell the student which locked cells were restored.
    """
    locked = {c["nbgrader"].get("grade_id"): c for c in release_cells
              if c["nbgrader"].get("locked") or is_test_cell(c["nbgrader"])}
    restored, notes = [], []
    for cell in cells:
        grade_id = cell["nbgrader"].get("grade_id")
        original = locked.get(grade_id) if grade_id else None
        if original is not None and is_test_cell(original["nbgrader"]):
            continue
        if original is not None and cell["source"] != original["source"]:
            notes.append(f"Cell {cell['index'] + 1} ({grade_id}) is read-only; your changes to it were "
                         "replaced by the original, as nbgrader does.")
            cell = {**cell, "source": original["source"]}
        restored.append(cell)
    return restored, notes
