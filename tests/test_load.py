"""Submissions are found and read without running anything; unusable files say why."""
import json

from autograder.pipeline.load import Submission, discover, read, safe_name


def notebook(cells):
    return json.dumps({"cells": [{"cell_type": "code", "source": s, "metadata": {}, "outputs": [],
                                  "execution_count": None} for s in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def test_an_nbgrader_submitted_tree_gives_student_ids(tmp_path):
    for student in ("alice", "bob"):
        folder = tmp_path / student / "lab4_3"
        folder.mkdir(parents=True)
        (folder / "lab4_3.ipynb").write_text(notebook(["x = 1"]))
    found = discover([tmp_path], "lab4_3", "lab4_3.ipynb")
    assert [s.id for s in found] == ["alice", "bob"]


def test_a_folder_of_files_gives_file_stems_and_duplicates_stay_distinct(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "s1.py").write_text("x = 1")
    (tmp_path / "s1.ipynb").write_text(notebook(["x = 1"]))
    found = discover([tmp_path, tmp_path / "a"], "lab4_3", "lab4_3.ipynb")
    assert sorted(s.id for s in found) == ["s1", "s1-2"]


def test_unusable_files_are_reported_in_words(tmp_path):
    cases = {"empty.ipynb": "", "broken.ipynb": "{not json", "list.ipynb": "[1, 2]"}
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        sub = read(Submission(name, tmp_path / name))
        assert sub.problems and sub.cells == []
    assert "empty" in read(Submission("e", tmp_path / "empty.ipynb")).problems[0]


def test_python_files_split_at_cell_markers(tmp_path):
    path = tmp_path / "s.py"
    path.write_text("# %%\nx = 1\n# %%\ny = 2\n")
    assert [c["source"].strip() for c in read(Submission("s", path)).cells] == ["# %%\nx = 1", "# %%\ny = 2"]


def test_ids_become_safe_file_names():
    for hostile in ("../../etc/passwd", "-rf", "a b", "x;rm -rf /", "'quote\"", "$(whoami)", ".hidden"):
        name = safe_name(hostile)
        assert "/" not in name and not name.startswith(("-", ".")) and " " not in name
        assert all(ch.isalnum() or ch in "._-" for ch in name)
    assert safe_name("alice") == "alice"
