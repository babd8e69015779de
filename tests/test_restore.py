"""Locked cells come back as released and test cells never reach the workers."""
from autograder.pipeline.restore import restore

RELEASE = [
    {"index": 0, "source": "import numpy as np", "nbgrader": {"grade_id": "imports", "locked": True}},
    {"index": 1, "source": "def stub():\n    raise NotImplementedError()",
     "nbgrader": {"grade_id": "stub", "solution": True}},
    {"index": 2, "source": "check_part('part2')", "nbgrader": {"grade_id": "test_part2", "grade": True,
                                                               "points": 10, "locked": True}},
]


def cell(index, source, **nbgrader):
    return {"index": index, "source": source, "nbgrader": nbgrader}


def test_a_tampered_locked_cell_gets_its_released_source_back_with_a_note():
    cells, notes = restore([cell(0, "import numpy as np\nnp.allclose = lambda *a, **k: True",
                                 grade_id="imports", locked=True)], RELEASE)
    assert [c["source"] for c in cells] == ["import numpy as np"]
    assert len(notes) == 1 and "Cell 1 (imports) is read-only" in notes[0]


def test_an_untouched_locked_cell_passes_without_a_note():
    cells, notes = restore([cell(0, "import numpy as np", grade_id="imports", locked=True)], RELEASE)
    assert [c["source"] for c in cells] == ["import numpy as np"] and notes == []


def test_the_students_solution_cell_is_kept_as_written():
    answer = "def stub():\n    return 42"
    cells, notes = restore([cell(1, answer, grade_id="stub", solution=True)], RELEASE)
    assert [c["source"] for c in cells] == [answer] and notes == []


def test_a_test_cell_is_dropped_even_when_the_student_rewrote_it():
    cells, notes = restore([cell(2, "import os; os.system('rm -rf /')", grade_id="test_part2",
                                 grade=True, points=10)], RELEASE)
    assert cells == [] and notes == []


def test_a_test_cell_whose_metadata_the_student_stripped_is_still_dropped_by_its_grade_id():
    # The student's copy claims to be an ordinary cell; the release says it is a test cell.
    cells, _ = restore([cell(2, "forged = True", grade_id="test_part2")], RELEASE)
    assert cells == []


def test_a_dropped_test_cell_costs_nothing_and_other_cells_keep_their_order():
    student = [cell(0, "import numpy as np", grade_id="imports", locked=True),
               cell(1, "def stub():\n    return 1", grade_id="stub", solution=True)]
    cells, notes = restore(student, RELEASE)
    assert [c["index"] for c in cells] == [0, 1] and notes == []


def test_an_unknown_or_odd_grade_id_is_treated_as_the_students_own_cell():
    odd = [cell(5, "x = 1", grade_id="no_such_cell"), cell(6, "y = 2", grade_id=""),
           cell(7, "z = 3", grade_id=None), cell(8, "w = 4")]
    cells, notes = restore(odd, RELEASE)
    assert [c["source"] for c in cells] == ["x = 1", "y = 2", "z = 3", "w = 4"] and notes == []


def test_cells_without_nbgrader_metadata_are_kept():
    cells, notes = restore([cell(3, "def helper():\n    return 0")], RELEASE)
    assert len(cells) == 1 and notes == []
